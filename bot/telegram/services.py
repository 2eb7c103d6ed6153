"""What every handler needs, built once in ``build_application`` and kept in ``bot_data``."""

from __future__ import annotations

from dataclasses import dataclass

from telegram import Update
from telegram.ext import ContextTypes

from bot.config import Settings
from bot.evaluation import Evaluations
from bot.glossary import Glossary
from bot.loading import Guide
from bot.search import SearchIndex
from bot.team import Teams
from bot.texts import Texts
from storage import Store

SERVICES_KEY = "services"


@dataclass(frozen=True)
class Services:
    """The guide's content, the store, the search index and the evaluation verbs."""

    settings: Settings
    guide: Guide
    store: Store
    search: SearchIndex
    evaluations: Evaluations
    teams: Teams
    glossary: Glossary

    @property
    def texts(self) -> Texts:
        """Return the wording."""
        return self.guide.texts


def services(context: ContextTypes.DEFAULT_TYPE) -> Services:
    """Return the services the application was built with."""
    found = context.bot_data[SERVICES_KEY]
    assert isinstance(found, Services)
    return found


def participant(update: Update, context: ContextTypes.DEFAULT_TYPE) -> str:
    """Return the pseudonymous participant id of the user behind an update."""
    user = update.effective_user
    assert user is not None, "handlers are only registered for updates from users"
    return services(context).store.participant_for(str(user.id))
