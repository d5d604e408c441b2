"""The application as gunicorn serves it in bench/checkin_storm.py, plus a trivial endpoint
to compare with (a bare Flask view on the same workers)."""

from jichikai import create_app

app = create_app()


@app.get("/bench/trivial")
def trivial():
    return "ok"
