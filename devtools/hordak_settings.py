"""Settings for `manage.py benchmark ledger --compare-hordak`'s child process only: fundmgr's
settings with django-hordak (and the apps it needs) installed, on the scratch database that
DATABASE_URL names. The application never runs with these; hordak is an optional extra
(`pip install -e '.[hordak]' -c constraints.txt`), never a runtime dependency."""

from fundmgr.settings import *  # noqa: F403
from fundmgr.settings import INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "mptt", "djmoney", "hordak"]
DEFAULT_CURRENCY = "GBP"
HORDAK_CURRENCIES = ["GBP"]
CURRENCIES = ["GBP"]
