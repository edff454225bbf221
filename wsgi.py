from cashman import create_app

app = create_app()
