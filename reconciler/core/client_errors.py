"""The client's typed errors: one class per way a call can fail that a caller may want to handle differently.

Callers branch on the class, never on message text::

    ReconcilerError                       (reconciler.core.errors)
    └── ClientError                       anything from the CAMS/BSS client
        ├── CredentialsError              no usable credentials (names the env vars to set)
        ├── ClientConfigError             bad --endpoint / --region / options
        ├── UnknownActionError            an action not in reconciler.client.actions
        ├── ParameterError                a parameter missing, unknown or of the wrong type: nothing sent
        ├── flow_assets.FlowAssetError    a Flow's JSON could not be uploaded (object storage) or read back
        ├── TransportError                no usable HTTP response (after retries)
        │   ├── ConnectError              could not connect: the request never left
        │   ├── TimeoutError              connect/read/write/pool timeout, or the call's own time budget
        │   │   └── RunBudgetError        the run's explicit time budget ran out before the call was sent
        │   └── ResponseTooLargeError     the answer exceeded the size limit (a gzip bomb, a runaway body)
        └── ApiError                      the API answered with a failure Code (any HTTP status, 200 too)
            ├── ThrottledError            System.LimitControl / Throttling* still, after retries
            ├── PermissionDeniedError     Ram.PermissionDeny, NotAuthorized, ...
            ├── NotSubscribedError        Product.Unsubscript
            ├── NotOwnedError             Unknown.ResourceOwnerId
            ├── AuthenticationError       signature or access-key errors (SignatureDoesNotMatch, ...)
            ├── InvalidRequestError       any other 4xx, or a 200 carrying a failure Code
            ├── answers.MalformedAnswerError a success whose shape breaks the action's contract (not retried)
            └── ServerError               HTTP 5xx / InternalError / ServiceUnavailable (after retries)

Every ``ClientError`` carries ``action``, ``code``, ``message``, ``request_id``, ``http_status``,
``cust_space_id``, ``phone_number`` and ``attempts``. ``str(err)`` is one line,
``<Code>: <Message> (request id <id>; <action>, space <id>, number <n>; <n> attempts)`` (parts
that are unknown are left out), printed by the CLI after ``error:``.

Secrets never reach an error: the client scrubs the secret values it sent (access key secret, security
token, ``VerifyCode``) and masks every URL's query string in the server's message before building one, and
``repr()`` shows only the class and the same one line.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, TypedDict, Unpack

from reconciler.common.masking import mask_text
from reconciler.core.errors import ReconcilerError
from reconciler.core.redact import scrub_values


def scrub(text: str, secrets: Iterable[str] = ()) -> str:
    """Remove secrets from free text a server or library produced: known secret values, and URL query values.

    Why both: a server message may echo a parameter back (a callback URL with ``?token=``), and an
    exception from a library may quote a header; we only know the values we sent, so we replace those
    literally and mask every URL's query string whatever it holds.
    """
    return mask_text(scrub_values(text, secrets))


class CallPlace(TypedDict, total=False):
    """Which space and number a call was about: gathered once per call and passed on to every error of it
    (``raise ConnectError(..., action=spec.name, **where)``)."""

    cust_space_id: str | None
    phone_number: str | None


class ErrorContext(CallPlace, total=False):
    """The keyword fields of every ``ClientError`` besides its message and code."""

    action: str | None
    request_id: str | None
    http_status: int | None
    attempts: int


class ClientError(ReconcilerError):
    """A failure of a CAMS/BSS call, with everything needed to report it and nothing secret."""

    quotes_server = True  # str() carries the API's Message (scrubbed of secrets, not of line breaks)
    #: The API error code (``Ram.PermissionDeny``), or a client-side code for failures without a response.
    default_code: str = "ClientError"
    #: Whether ``str()`` starts with the code: yes for API and transport errors, no for local mistakes
    #: (missing credentials, a bad option), whose message says everything.
    show_code: bool = True
    #: Seconds the server asked us to wait before trying again (throttling answers), if it said.
    retry_after: float | None = None

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        action: str | None = None,
        request_id: str | None = None,
        http_status: int | None = None,
        cust_space_id: str | None = None,
        phone_number: str | None = None,
        attempts: int = 0,
    ) -> None:
        self.code = code or self.default_code
        self.message = " ".join(message.split())  # one line, whatever the server sent
        self.action = action
        self.request_id = request_id
        self.http_status = http_status
        self.cust_space_id = cust_space_id
        self.phone_number = phone_number
        self.attempts = attempts
        super().__init__(self.__str__())

    def _context(self) -> str:
        parts: list[str] = []
        if self.request_id:
            parts.append(f"request id {self.request_id}")
        where: list[str] = []
        if self.action:
            where.append(self.action)
        if self.cust_space_id:
            where.append(f"space {self.cust_space_id}")
        if self.phone_number:
            where.append(f"number {self.phone_number}")
        if where:
            parts.append(", ".join(where))
        if self.attempts > 1:
            parts.append(f"{self.attempts} attempts")
        return f" ({'; '.join(parts)})" if parts else ""

    def __str__(self) -> str:
        if not self.show_code:
            return f"{self.message}{self._context()}"
        return f"{self.code}: {self.message}{self._context()}"

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.__str__()!r})"

    def __reduce__(self) -> tuple[Any, ...]:  # pickling (multiprocessing, pytest-xdist) keeps the fields, not just args
        return (_rebuild, (type(self), self.__dict__.copy()))



def _rebuild(cls: type[ClientError], state: dict[str, Any]) -> ClientError:
    err = cls.__new__(cls)
    err.__dict__.update(state)
    Exception.__init__(err, err.__str__())
    return err


class CredentialsError(ClientError):
    show_code = False
    default_code = "MissingCredentials"


class ClientConfigError(ClientError):
    show_code = False
    default_code = "InvalidClientConfig"


class UnknownActionError(ClientError):
    show_code = False
    default_code = "UnknownAction"


class ParameterError(ClientError):
    """A call refused before sending: a required parameter missing, an unknown name, a value of the wrong type."""

    show_code = False
    default_code = "InvalidParameter"

    def _context(self) -> str:
        return ""  # the message names the action and the field itself


class TransportError(ClientError):
    """No HTTP response. ``sent`` says whether the request may have reached the server."""

    default_code = "TransportError"
    sent: bool = True



class ConnectError(TransportError):
    """The connection could not be made: the request provably never reached the server."""

    default_code = "ConnectError"
    sent = False


class TimeoutError(TransportError):  # noqa: A001 - shadows the builtin on purpose
    """A timeout. ``sent`` is False for connect and pool timeouts (nothing was sent), True otherwise."""

    default_code = "Timeout"

    def __init__(self, message: str, *, sent: bool = True, code: str | None = None,
                 **where: Unpack[ErrorContext]) -> None:
        self.sent = sent
        super().__init__(message, code=code, **where)



class RunBudgetError(TimeoutError):
    """The run's explicit time budget (``CamsClient(run_budget=...)``) ran out before this call could be
    sent. Nothing was sent."""

    default_code = "RunBudgetExceeded"

    def __init__(self, message: str, *, code: str | None = None, **where: Unpack[ErrorContext]) -> None:
        super().__init__(message, sent=False, code=code, **where)


class ResponseTooLargeError(TransportError):
    """The answer was larger than the client accepts (raw or decompressed). Not retried: it would be again."""

    default_code = "ResponseTooLarge"



class ApiError(ClientError):
    """The API answered and its ``Code`` says the call failed."""

    default_code = "UnknownError"


class ThrottledError(ApiError):
    default_code = "Throttling"



class PermissionDeniedError(ApiError):
    default_code = "Ram.PermissionDeny"


class NotSubscribedError(ApiError):
    default_code = "Product.Unsubscript"


class NotOwnedError(ApiError):
    default_code = "Unknown.ResourceOwnerId"


class AuthenticationError(ApiError):
    default_code = "SignatureDoesNotMatch"


class InvalidRequestError(ApiError):
    default_code = "InvalidParameter"


class ServerError(ApiError):
    default_code = "InternalError"



__all__ = [
    "scrub", "CallPlace", "ErrorContext", "ClientError", "CredentialsError", "ClientConfigError", "UnknownActionError", "ParameterError",
    "TransportError", "ConnectError", "TimeoutError", "RunBudgetError", "ResponseTooLargeError", "ApiError", "ThrottledError", "PermissionDeniedError", "NotSubscribedError",
    "NotOwnedError", "AuthenticationError", "InvalidRequestError", "ServerError",
]
