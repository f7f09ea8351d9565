"""Create the demo: accounts student, instructor and admin, a class, and the lesson's sandbox.

Safe to run again: existing accounts and sandboxes are kept, passwords too.
"""

import json
import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core.management.base import BaseCommand

from cluster.models import Classroom, Sandbox
from cluster.sandboxes import components_ensure, sandbox_create

DEMO_ACCOUNTS = ("student", "instructor", "admin")
INSTRUCTORS_GROUP = "Instructors"
PASSWORDS_FILE = settings.VAR_DIR / "demo-accounts.json"


def demo_passwords() -> tuple[dict[str, str], bool]:
    """The demo passwords, made once per install and kept under var/; True if new."""
    if PASSWORDS_FILE.exists():
        return json.loads(PASSWORDS_FILE.read_text()), False
    passwords = {name: secrets.token_urlsafe(9) for name in DEMO_ACCOUNTS}
    PASSWORDS_FILE.write_text(json.dumps(passwords, indent=2))
    PASSWORDS_FILE.chmod(0o600)
    return passwords, True


class Command(BaseCommand):
    help = "Create the demo accounts and the lesson's sandbox (idempotent)."

    def handle(self, *args, **options):
        passwords, new_passwords = demo_passwords()
        users = {}
        for name in DEMO_ACCOUNTS:
            user, created = get_user_model().objects.get_or_create(username=name)
            # New passwords (var/ was removed) must match the accounts kept in the database.
            if created or new_passwords:
                user.set_password(passwords[name])
                user.is_staff = user.is_superuser = name == "admin"
                user.save()
            users[name] = user
        # Instructors are the members of this group: it may create classes (the admin
        # adds more people to it).
        instructors, _ = Group.objects.get_or_create(name=INSTRUCTORS_GROUP)
        instructors.permissions.add(Permission.objects.get(codename="run_classes"))
        users["instructor"].groups.add(instructors)
        classroom, _ = Classroom.objects.get_or_create(
            name="Demo class", defaults={"instructor": users["instructor"]}
        )
        classroom.students.add(users["student"])
        if not Sandbox.objects.filter(owner=users["student"]).exists():
            sandbox_create(
                owner=users["student"], name="How Kubernetes creates a pod", classroom=classroom
            )
        for sandbox in Sandbox.objects.all():
            components_ensure(sandbox)
        self.stdout.write("Demo accounts (passwords kept in var/demo-accounts.json):")
        for name in DEMO_ACCOUNTS:
            self.stdout.write(f"  {name:<11} {passwords[name]}")
