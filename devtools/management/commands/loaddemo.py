from django.core.management.base import BaseCommand

from devtools import demo


class Command(BaseCommand):
    help = "Load the fictional demo council from fixtures/demo.json and print a login per role."

    def handle(self, *args, **options):
        spec = demo.read_spec()
        if demo.is_loaded(spec):
            self.stdout.write("The demo is already loaded; nothing changed.")
        else:
            demo.load(spec)
            self.stdout.write(self.style.SUCCESS(f"Loaded the demo: {spec['council']['name']}."))
        self.stdout.write(demo.summary())
        self.stdout.write("")
        self.stdout.write("Demo logins (every password is " + spec["password"] + "):")
        for login in demo.logins(spec):
            self.stdout.write(
                f"  {login.role:<16} {login.username:<14} {login.name:<22} -> {login.lands_on}"
            )
        self.stdout.write("")
        self.stdout.write(
            "Administrators and finance officers then set up an authenticator app (two-factor "
            "authentication): have one on your phone."
        )
        self.stdout.write("Open http://127.0.0.1:8000 and sign in.")
