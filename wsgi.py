from cashman import create_app
from config.serving import stop_on_config_error

app = stop_on_config_error(create_app)
