from django.core.management.base import BaseCommand

from devtools import demo
from fundmgr import councils
from fundmgr.models import Council


class Command(BaseCommand):
    help = (
        "Load the demo's fictional councils (fixtures/demo.json, fixtures/demo-ashcombe.json) "
        "and print a login per role of each, with the address where each council is served."
    )

    def handle(self, *args, **options):
        specs = demo.read_specs()
        waiting = [spec for spec in specs if not demo.is_loaded(spec)]
        if not waiting:
            self.stdout.write("The demo is already loaded; nothing changed.")
        else:
            demo.load_all(waiting)
            names = " and ".join(spec["council"]["name"] for spec in waiting)
            self.stdout.write(self.style.SUCCESS(f"Loaded the demo: {names}."))
        self.stdout.write("")
        self.stdout.write(f"Demo logins (every password is {specs[0]['password']}):")
        for spec in specs:
            council = Council.objects.get(gss_code=spec["council"]["gss_code"])
            self.stdout.write("")
            self.stdout.write(f"{council.name}, at {demo.address(spec)}")
            with councils.acting_for(council):
                self.stdout.write(f"  {demo.summary()}")
            for login in demo.logins(spec):
                self.stdout.write(
                    f"  {login.role:<16} {login.username:<19} {login.name:<22} -> {login.lands_on}"
                )
        self.stdout.write("")
        self.stdout.write(
            "Each council's staff sign in at its own address (staff of one council find nothing "
            "at the other's); applicants may use either. The administrator 'admin' is the "
            "service's: /admin/ at the bare address is every council's."
        )
        self.stdout.write(
            "Administrators and finance officers then set up an authenticator app (two-factor "
            "authentication): have one on your phone."
        )
        self.stdout.write(f"Open {demo.address(specs[0])} and sign in.")
