from django.utils import translation


class UserLanguageMiddleware:
    """Speak the language the user picked; before log-in, the browser's or the default.

    Log-in copies the choice into the session; a session without it (opened before the
    choice existed, or by a test's `force_login`) reads it from the user, whom the request
    loads anyway to check the session."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        language = None
        session = getattr(request, "session", None)
        if session is not None:
            language = session.get("clientela_language")
        if language is None:
            user = getattr(request, "user", None)
            if user is not None and user.is_authenticated:
                language = user.language
        if language is None:
            language = translation.get_language_from_request(request)
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", request.LANGUAGE_CODE)
        return response
