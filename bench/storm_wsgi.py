"""The application as gunicorn serves it in bench/checkin_storm.py, plus two endpoints to
compare with: a trivial GET (a bare Flask view on the same workers) and the floor of a
check-in: the same POST (session cookie, CSRF header, JSON body) answered without any work."""

from flask import request

from jichikai import create_app

app = create_app()


@app.get("/bench/trivial")
def trivial():
    return "ok"


@app.post("/bench/empty-post")
def empty_post():
    # CSRF has been checked (as for every POST); parse the body as the check-in does.
    body = request.get_json()
    return {"status": body["status"], "stored": False}
