from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from clientela.accounts.services import prune_password_reset_requests, send_password_reset_link


@db_task(retries=2, retry_delay=30)
def send_password_reset_link_task(email: str):
    """Look the address up and queue the link, outside the request that asked for it."""
    send_password_reset_link(email)


@db_periodic_task(crontab(minute="41"))
def prune_password_reset_requests_task():
    prune_password_reset_requests()
