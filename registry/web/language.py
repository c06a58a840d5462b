"""The home page in the reader's language: their choice first, then their browser's preference.

Every page's address decides its language (English unprefixed, Chinese under /zh-hans/), so
pages stay the same for everybody and can be cached. Only the bare home page, `/`, where people
arrive by typing the address, picks: a reader who once switched language is taken to the home
page in the language they chose (the language cookie), and a reader who never chose is taken to
the one their browser prefers (Accept-Language).

A reader chooses by following a link from a page in one language to a page in the other (the
language switch): the answer to that request remembers the choice in the language cookie. Within
the site, the home page never redirects, so "English" on a Chinese page leads to English even for
a browser that prefers Chinese.
"""

from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils import translation
from django.utils.cache import add_never_cache_headers, patch_vary_headers

HOME = "/"


def _language_of(path: str) -> str:
    return translation.get_language_from_path(path) or settings.LANGUAGE_CODE


def _internal_referer(request) -> str | None:
    """The path of the page the reader came from, when it is a page of this site."""
    referer = request.headers.get("Referer")
    if not referer:
        return None
    parts = urlsplit(referer)
    if parts.netloc and parts.netloc != request.get_host():
        return None
    return parts.path or HOME


def _supported(code: str | None) -> str | None:
    if not code:
        return None
    try:
        return translation.get_supported_language_variant(code)
    except LookupError:
        return None


class ReaderLanguageMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        here = _language_of(request.path_info)
        came_from = _internal_referer(request)
        switched = came_from is not None and _language_of(came_from) != here
        if request.path_info == HOME and request.method in ("GET", "HEAD") and came_from is None:
            wanted = self._wanted(request)
            if wanted != here:
                with translation.override(wanted):
                    target = reverse("web:home")
                query = request.META.get("QUERY_STRING", "")
                response = HttpResponseRedirect(f"{target}?{query}" if query else target)
                patch_vary_headers(response, ["Accept-Language", "Cookie"])
                add_never_cache_headers(response)
                return response
        response = self.get_response(request)
        if request.path_info == HOME:
            # Chosen by cookie or header: the same address answers differently for each.
            patch_vary_headers(response, ["Accept-Language", "Cookie"])
            if came_from is not None and self._wanted(request) != here:
                # Kept from the redirect by where the reader came from: no shared cache may
                # serve this answer to a reader arriving from elsewhere.
                add_never_cache_headers(response)
        # Only a page shown is a choice: the icon a page of the other language fetches
        # (/favicon.ico is unprefixed, so English; a redirect), a file or an error page says
        # nothing of the reader's language.
        is_page = response.status_code == 200 and response.get("Content-Type", "").startswith(
            "text/html"
        )
        if switched and is_page and request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME) != here:
            response.set_cookie(
                settings.LANGUAGE_COOKIE_NAME,
                here,
                max_age=365 * 24 * 3600,
                samesite="Lax",
                secure=settings.SESSION_COOKIE_SECURE,
                httponly=True,
            )
        return response

    @staticmethod
    def _wanted(request) -> str:
        chosen = _supported(request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME))
        if chosen:
            return chosen
        for code, _quality in translation.trans_real.parse_accept_lang_header(
            request.headers.get("Accept-Language", "")
        ):
            if code == "*":
                break
            found = _supported(code)
            if found:
                return found
        return settings.LANGUAGE_CODE
