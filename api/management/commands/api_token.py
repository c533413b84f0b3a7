from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from api.services import token_create
from common.errors import DomainError


class Command(BaseCommand):
    help = "Create an API token for a user and print it (the last word of the output). It is shown only once."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--name", default="", help="What the token is for.")

    def handle(self, *args, **options):
        user = get_user_model().objects.filter(username=options["username"]).first()
        if user is None:
            raise CommandError(f"No user {options['username']!r}.")
        try:
            created = token_create(user=user, name=options["name"])
        except DomainError as error:
            raise CommandError(error.message) from error
        self.stdout.write(f"API token {created.token.prefix}… for {user.username} (shown once): {created.secret}")
