"""Flask extensions, created unbound and attached in create_app()."""

from functools import cached_property

from flask import g
from flask_babel import Babel, Domain, force_locale, get_locale
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_mailman import Mail
from flask_migrate import Migrate
from flask_smorest import Api
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    metadata = MetaData(
        naming_convention={
            "ix": "ix_%(column_0_label)s",
            "uq": "uq_%(table_name)s_%(column_0_N_name)s",
            "ck": "ck_%(table_name)s_%(constraint_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )


class RequestDomain(Domain):
    """Flask-Babel's domain, looking up the request's translations once per request.

    Flask-Babel resolves the context, the locale and its name again for every string, which
    came to about a tenth of a page's time. The translations are kept in Flask-Babel's own
    per-request slot, which its refresh() and force_locale() reset, so a language switched
    during the request is still followed.
    """

    def get_translations(self):
        state = getattr(g, "_flask_babel", None) if g else None
        translations = getattr(state, "babel_translations", None)
        if translations is None:
            translations = self._with_fallback(super().get_translations())
            state = getattr(g, "_flask_babel", None) if g else None
            if state is not None:
                state.babel_translations = translations
        return translations

    def _with_fallback(self, translations):
        """A language's strings, then its fallback's (see i18n.fallback_language); once per
        language, as Flask-Babel keeps the merged catalogue for the process."""
        if getattr(translations, "_jichikai_fallback", False):
            return translations
        from . import i18n

        locale = get_locale()
        fallback = i18n.fallback_language(str(locale)) if locale is not None else None
        if fallback is not None:
            with force_locale(fallback):
                translations.add_fallback(Domain.get_translations(self))
        translations._jichikai_fallback = True
        return translations


class JichikaiBabel(Babel):
    """Flask-Babel with the RequestDomain as its default domain."""

    @cached_property
    def domain_instance(self):
        return RequestDomain(domain=self.domain)


db = SQLAlchemy(model_class=Base)
migrate = Migrate(render_as_batch=True, compare_type=True)
login_manager = LoginManager()
csrf = CSRFProtect()
babel = JichikaiBabel()
limiter = Limiter(key_func=get_remote_address, default_limits=[])
api = Api()
mail = Mail()
