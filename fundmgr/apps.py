from django.apps import AppConfig


class FundmgrConfig(AppConfig):
    name = "fundmgr"
    verbose_name = "fundmgr"
