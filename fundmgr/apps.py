from django.apps import AppConfig


class FundmgrConfig(AppConfig):
    name = "fundmgr"
    verbose_name = "fundmgr"

    def ready(self):
        # Every app's admin is registered by now (django.contrib.admin comes first).
        from django.contrib import admin

        from fundmgr.access import seal_admin

        seal_admin(admin.site)

        # Each new database connection is given the scope of the work that opens it.
        from fundmgr import councils  # noqa: F401
