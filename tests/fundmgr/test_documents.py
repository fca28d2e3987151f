"""The kernel's half of documents: the kinds `manage.py document` writes."""

import pytest


def test_every_app_says_which_documents_the_document_command_writes():
    """The kernel's `manage.py document` names no app: each says its kinds when it is ready."""
    from fundmgr.documents import KINDS, document_kind

    assert list(KINDS) == [
        "statement",
        "answers",
        "remittance",
        "clawback",
        "offer",
        "notice",
        "panel-pack",
    ]
    with pytest.raises(ValueError, match="registered already"):
        document_kind("offer", "again", KINDS["offer"].produce)
