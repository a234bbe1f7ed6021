"""core.csv_download: how the rows of an export are read."""

import pytest
from django.db import connection

from clientela.core.csv_download import csv_lines


@pytest.mark.django_db(transaction=True)
def test_the_rows_are_read_in_one_transaction_which_ends_with_them():
    # Outside a transaction PostgreSQL builds a server-side cursor's whole result first.
    seen = []

    def rows():
        for number in range(3):
            seen.append(connection.in_atomic_block)
            yield [str(number), "=1+1"]

    assert not connection.in_atomic_block
    lines = list(csv_lines(rows()))
    assert seen == [True, True, True] and not connection.in_atomic_block
    assert lines[0] == "\ufeff".encode() and lines[1:] == [
        b"0,=1+1\r\n",
        b"1,=1+1\r\n",
        b"2,=1+1\r\n",
    ]


@pytest.mark.django_db(transaction=True)
def test_a_download_stopped_halfway_ends_its_transaction():
    lines = csv_lines([str(number)] for number in range(10))
    next(lines), next(lines)
    assert connection.in_atomic_block
    lines.close()
    assert not connection.in_atomic_block
