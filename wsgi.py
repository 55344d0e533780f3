import gc

from lms import create_app
from lms.extensions import db

app = create_app()

# gunicorn --preload builds the app once in the master and forks the workers from it, so they
# share its memory; no database connection may be inherited across the fork, and the objects
# built so far are moved out of the garbage collector's reach (gc.freeze), whose passes would
# otherwise write to them and copy the shared pages into every worker.
with app.app_context():
    db.engine.dispose()
gc.collect()
gc.freeze()
