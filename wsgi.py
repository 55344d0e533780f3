import gc

# No collection while the app is imported: it only creates objects that live as long as the
# process, and each collection would walk all of them again (a tenth of the start-up).
gc.disable()

from lms import create_app  # noqa: E402
from lms.extensions import db  # noqa: E402

app = create_app()

# gunicorn --preload builds the app once in the master and forks the workers from it, so they
# share its memory; no database connection may be inherited across the fork, and the objects
# built so far are moved out of the garbage collector's reach (gc.freeze), whose passes would
# otherwise write to them and copy the shared pages into every worker.
with app.app_context():
    db.engine.dispose()
gc.collect()
gc.freeze()
gc.enable()
