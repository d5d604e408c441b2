from jichikai import create_app

app = create_app()
