from huey.contrib.djhuey import db_task

from clientela.contacts.imports import check_now, import_now


@db_task()
def check_contact_import(pk: int):
    """Check a large import's rows (see `imports.check_import`)."""
    check_now(pk)


@db_task()
def run_contact_import(pk: int):
    """Import a large file's rows (see `imports.run_import`); a stopped import is resumed by its
    owner, not retried here, so that they see why it stopped."""
    import_now(pk)
