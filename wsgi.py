from lms import create_app
from lms.extensions import db

app = create_app()

# gunicorn --preload builds the app once in the master and forks the workers from it, so they
# share its memory; no database connection may be inherited across the fork.
with app.app_context():
    db.engine.dispose()
