"""Every API action the reconciler may call: product, version, read/write, retry policy, parameters.

One table, read by the client (how to send and retry), the ``call`` command (what exists), the ``policy``
command (which RAM actions a least-privilege policy needs) and the audit checks (what writes exist).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from types import MappingProxyType

from reconciler.core.client_errors import UnknownActionError


class Product(str, Enum):
    CAMS = "cams"
    BSS = "bss"
    ACTIONTRAIL = "actiontrail"  # who changed what (drift --attribution): read only


class Kind(str, Enum):
    READ = "read"
    WRITE = "write"


class ParamType(str, Enum):
    """How a parameter's value travels: every value is one query-string parameter (RPC style).

    The spellings are the official SDK's (tea-openapi): a list or object the SDK models as a ``*_shrink``
    field is compact JSON (``json.dumps(v, ensure_ascii=False, separators=(",", ":"))``, keys in the order
    given); a boolean is ``str(bool)``, ``True``/``False``; a flag the API documents as ``Y``/``N`` takes
    exactly ``Y`` or ``N`` (a Python bool is turned into one, never into ``true``).
    """

    STRING = "string"
    INTEGER = "integer"
    BOOLEAN = "boolean"
    YN_FLAG = "Y/N flag"
    JSON_LIST = "JSON list"
    JSON_OBJECT = "JSON object"


class RetryMode(str, Enum):
    """When a failed attempt of an action may be sent again.

    TRANSIENT: on throttling, HTTP 5xx, timeouts and connection errors. Right for reads, and for writes
        that set a value (sending the same value twice leaves the same state).
    UNSENT_ONLY: only when the request provably was not carried out: the connection could not be made
        (or a pool/connect timeout: nothing left this process), or the API answered with a throttling
        code (rejected at the gateway before the action ran). Not after a read timeout, a dropped
        connection after sending, or a 5xx: the server may have acted, and repeating is not harmless.
    """

    TRANSIENT = "transient"
    UNSENT_ONLY = "unsent-only"


@dataclass(frozen=True)
class ActionSpec:
    name: str
    product: Product
    version: str
    kind: Kind
    retry: RetryMode
    #: parameters the SDK's request model marks "This parameter is required": refused before sending
    required: tuple[str, ...] = ()
    optional: tuple[str, ...] = ()
    #: parameters whose values are secrets: masked in logs and errors, scrubbed from server messages
    secret_params: tuple[str, ...] = ()
    #: the RAM action a policy must allow, or None when the product does not document one
    ram_action: str | None = None
    summary: str = ""
    #: the type of every parameter that is not a plain string (see ``ParamType``)
    types: Mapping[str, ParamType] = field(default_factory=lambda: MappingProxyType({}))
    #: the answer's item fields the engine reads that must be strings or null (``client.shapes``)
    answer_text: tuple[str, ...] = ()
    #: the documented rate limit (requests per second per account) when it is lower than the usual one: the
    #: client paces the action at the lower of this and its ``--qps``
    qps: float | None = None

    def param_type(self, name: str) -> ParamType:
        return self.types.get(name, ParamType.STRING)

    @property
    def is_write(self) -> bool:
        return self.kind is Kind.WRITE

    @property
    def params(self) -> tuple[str, ...]:
        return self.required + self.optional


CAMS_VERSION = "2020-06-06"
BSS_VERSION = "2017-12-14"
ACTIONTRAIL_VERSION = "2020-07-06"
# Required-ness as the SDK's request models (alibabacloud_cams20200606 5.3.1) mark it. CustSpaceId is
# optional where the model has it optional: a direct customer's own instance stands in for a space.
_SPACE = ("CustSpaceId",)
_NUMBER = ("CustSpaceId", "PhoneNumber")


def _cams(name: str, kind: Kind, retry: RetryMode, required: tuple[str, ...], optional: tuple[str, ...] = (),
          secret: tuple[str, ...] = (), summary: str = "",
          types: Mapping[str, ParamType] | None = None, answer_text: tuple[str, ...] = (),
          qps: float | None = None) -> ActionSpec:
    return ActionSpec(name, Product.CAMS, CAMS_VERSION, kind, retry, required, optional, secret,
                      f"cams:{name}", summary, MappingProxyType(dict(types or {})), answer_text, qps)


_WEBHOOK_FLAGS = {"HttpFlag": ParamType.YN_FLAG, "QueueFlag": ParamType.YN_FLAG}
#: The rate the API docs give the conversational-automation APIs, CreatePhoneMessageQrdl,
#: GetWhatsappHealthStatus and ListChatappTemplate: 5 requests per second per account, not the usual 10.
_SLOW = 5.0
_COMMERCE = {"CartEnable": ParamType.BOOLEAN, "CatalogVisible": ParamType.BOOLEAN}
_AUTOMATION = {"EnableWelcomeMessage": ParamType.BOOLEAN, "Prompts": ParamType.JSON_LIST,
               "Commands": ParamType.JSON_LIST}
_TEMPLATE_TYPES = {"Components": ParamType.JSON_LIST, "Example": ParamType.JSON_OBJECT,
                   "AllowCategoryChange": ParamType.BOOLEAN, "CategoryChangePaused": ParamType.BOOLEAN,
                   "MessageSendTtlSeconds": ParamType.INTEGER}


_SPECS: tuple[ActionSpec, ...] = (
    _cams("QueryChatappPhoneNumbers", Kind.READ, RetryMode.TRANSIENT, (), ("CustSpaceId", "IsvCode", "Status"),
          summary="list a space's phone numbers with status, webhooks and queues",
          # ``PhoneNumbers`` item fields read by the engine, all strings (or null) in the API reference
          answer_text=("StatusCallbackUrl", "UpCallbackUrl", "StatusQueue", "UpQueue", "Status", "QualityRating",
                       "CodeVerificationStatus", "NameStatus", "NewNameStatus", "MessagingLimitTier",
                       "VerifiedName")),
    _cams("QueryPhoneBusinessProfile", Kind.READ, RetryMode.TRANSIENT, _NUMBER,
          summary="read a number's WhatsApp business profile"),
    _cams("GetChatappPhoneNumberSetting", Kind.READ, RetryMode.TRANSIENT, ("PhoneNumber",), ("CustSpaceId",),
          summary="read a number's settings (MarketingPaused)"),
    _cams("ChatappSyncPhoneNumber", Kind.WRITE, RetryMode.TRANSIENT, _SPACE,
          summary="refresh a space's numbers from WhatsApp (idempotent)"),
    # ChatappMigrationVerified submits a one-time code that reached the number's owner by SMS or voice.
    # The code may be single-use: if a first attempt reached the server and consumed it, a retry would fail
    # with "wrong code" and hide the real outcome (or, worse, count as a failed attempt against the number).
    # So it is retried only when the request provably was not processed (connect error: nothing was sent;
    # throttled: refused at the gateway before the action ran), never after a read timeout or a 5xx.
    _cams("ChatappMigrationVerified", Kind.WRITE, RetryMode.UNSENT_ONLY, ("CustSpaceId", "PhoneNumber",
          "VerifyCode"), secret=("VerifyCode",), summary="submit a migration verify code"),
    # Registration after a successful verification. Not repeated after the server may have acted: a second
    # call of a registration that landed is refused (the number has no verification left to register), which
    # would hide that the first one worked. A lost answer is settled by reading the number's status instead.
    _cams("ChatappMigrationRegister", Kind.WRITE, RetryMode.UNSENT_ONLY, _NUMBER,
          summary="register a migrated number after verification"),
    # Reads whether a number's code verification landed: settles a verification whose answer was lost.
    _cams("GetPhoneNumberVerificationStatus", Kind.READ, RetryMode.TRANSIENT, _NUMBER,
          summary="read a number's code verification status (VERIFIED, NOT_VERIFIED, EXPIRED)",
          answer_text=("CodeVerificationStatus", "PhoneNumber", "Id")),
    # Each accepted call sends an SMS or a voice call to the number's owner, and a new code may supersede
    # the one already delivered: do not resend after the server may have acted.
    _cams("GetMigrationVerifyCode", Kind.WRITE, RetryMode.UNSENT_ONLY, (*_NUMBER, "Locale", "Method"),
          summary="send a migration verify code to the number's owner (SMS or voice)"),
    _cams("UpdatePhoneWebhook", Kind.WRITE, RetryMode.TRANSIENT, _NUMBER,
          ("StatusCallbackUrl", "UpCallbackUrl", "HttpFlag", "QueueFlag"),
          summary="set a number's status and inbound callback URLs (idempotent)", types=_WEBHOOK_FLAGS),
    _cams("ModifyPhoneBusinessProfile", Kind.WRITE, RetryMode.TRANSIENT, _NUMBER,
          ("About", "Address", "Description", "Email", "ProfilePictureUrl", "Vertical", "Websites"),
          summary="set a number's business profile (idempotent)", types={"Websites": ParamType.JSON_LIST}),
    # --- number settings (issue 16). Required-ness and types from the SDK's request models (5.3.1). ---
    _cams("GetCommerceSetting", Kind.READ, RetryMode.TRANSIENT, _NUMBER,
          summary="read a number's commerce settings (cart shown, catalogue visible)"),
    # Both values are required: an update always states the cart and the catalogue.
    _cams("UpdateCommerceSetting", Kind.WRITE, RetryMode.TRANSIENT, (*_NUMBER, "CartEnable", "CatalogVisible"),
          summary="set a number's commerce settings (idempotent)", types=_COMMERCE),
    _cams("GetConversationalAutomation", Kind.READ, RetryMode.TRANSIENT, _NUMBER,
          qps=_SLOW, summary="read a number's welcome message switch, ice-breaker prompts and commands"),
    _cams("UpdateConversationalAutomation", Kind.WRITE, RetryMode.TRANSIENT, _NUMBER,
          ("EnableWelcomeMessage", "Prompts", "Commands"),
          qps=_SLOW, summary="set a number's conversational automation (idempotent; lists replaced whole)", types=_AUTOMATION),
    _cams("GetPhoneEncryptionPublicKey", Kind.READ, RetryMode.TRANSIENT, ("PhoneNumber",), ("CustSpaceId",),
          summary="read a number's WhatsApp Flows encryption public key and its status"),
    _cams("UpdatePhoneEncryptionPublicKey", Kind.WRITE, RetryMode.TRANSIENT, ("PhoneNumber", "EncryptionPublicKey"),
          ("CustSpaceId",), summary="upload a number's WhatsApp Flows encryption public key (idempotent)"),
    _cams("ListPhoneMessageQrdl", Kind.READ, RetryMode.TRANSIENT, ("PhoneNumber",), ("CustSpaceId",),
          summary="list a number's message QR codes and deep links"),
    # Each accepted create makes a new code: a retry after the server may have acted would make a second
    # QR code with the same message. Retried only when provably not carried out.
    _cams("CreatePhoneMessageQrdl", Kind.WRITE, RetryMode.UNSENT_ONLY,
          ("PhoneNumber", "PrefilledMessage", "GenerateQrImage"), ("CustSpaceId",),
          qps=_SLOW, summary="create a message QR code / deep link for a number"),
    _cams("UpdatePhoneMessageQrdl", Kind.WRITE, RetryMode.TRANSIENT,
          ("PhoneNumber", "QrdlCode", "PrefilledMessage", "GenerateQrImage"), ("CustSpaceId",),
          summary="change a message QR code's prefilled message (idempotent; the code and link stay)"),
    # A repeated delete of a code already gone is refused as unknown, hiding that the first one worked: only
    # retried when provably not carried out (the apply re-reads the list to verify either way).
    _cams("DeletePhoneMessageQrdl", Kind.WRITE, RetryMode.UNSENT_ONLY, ("PhoneNumber", "QrdlCode"), ("CustSpaceId",),
          summary="delete a message QR code / deep link of a number"),
    # The space-level webhook; no API reads it back (nor its flags).
    _cams("UpdateAccountWebhook", Kind.WRITE, RetryMode.TRANSIENT, _SPACE, ("StatusCallbackUrl", "HttpFlag", "QueueFlag"),
          summary="set a space's account-level callback URL and delivery flags (idempotent)", types=_WEBHOOK_FLAGS),
    _cams("GetWhatsappHealthStatus", Kind.READ, RetryMode.TRANSIENT, ("CustSpaceId", "NodeType"),
          ("PhoneNumber", "WabaId", "TemplateCode", "Language"),
          qps=_SLOW, summary="whether a number, WABA or template can send messages, with errors and possible solutions"),
    # Message templates. Lists and objects travel as compact JSON (the SDK's *_shrink fields): Page
    # ({"Index": N, "Size": N}), Components, Example (a flat object of placeholder examples).
    _cams("ListChatappTemplate", Kind.READ, RetryMode.TRANSIENT, (),
          ("CustSpaceId", "CustWabaId", "IsvCode", "Language", "Code", "Name", "AuditStatus", "Category",
           "TemplateType", "Page"),
          qps=_SLOW, summary="list a space's message templates, one page at a time", types={"Page": ParamType.JSON_OBJECT}),
    _cams("GetChatappTemplateDetail", Kind.READ, RetryMode.TRANSIENT, ("Language",),
          ("CustSpaceId", "CustWabaId", "IsvCode", "TemplateCode", "TemplateName", "TemplateType"),
          summary="read one template (components, examples, review status, quality)"),
    # A create or an edit is not repeated after the server may have acted: a second create of the name is
    # refused as a duplicate, and a second edit of an approved template spends one of its few edits.
    _cams("CreateChatappTemplate", Kind.WRITE, RetryMode.UNSENT_ONLY,
          ("Category", "Components", "Language", "Name", "TemplateType"),
          ("CustSpaceId", "CustWabaId", "IsvCode", "Example", "AllowCategoryChange", "CategoryChangePaused",
           "MessageSendTtlSeconds", "ProductSetId"),
          summary="submit a new message template for review", types=_TEMPLATE_TYPES),
    _cams("ModifyChatappTemplate", Kind.WRITE, RetryMode.UNSENT_ONLY, ("Components", "Language"),
          ("CustSpaceId", "CustWabaId", "IsvCode", "TemplateCode", "TemplateName", "TemplateType", "Category",
           "Example", "CategoryChangePaused", "MessageSendTtlSeconds", "ProductSetId"),
          summary="edit a template (an approved one goes back to review)", types=_TEMPLATE_TYPES),
    _cams("ModifyChatappTemplateProperties", Kind.WRITE, RetryMode.TRANSIENT,
          ("CustSpaceId", "Language", "TemplateCode", "TemplateType"), ("AllowSend", "CategoryChangePaused"),
          summary="set a template's sending flags (idempotent)",
          types={"AllowSend": ParamType.BOOLEAN, "CategoryChangePaused": ParamType.BOOLEAN}),
    _cams("DeleteChatappTemplate", Kind.WRITE, RetryMode.UNSENT_ONLY, (),
          ("CustSpaceId", "CustWabaId", "IsvCode", "TemplateCode", "TemplateName", "Language", "TemplateType"),
          summary="delete a template (one language, or every language of the name)"),
    # Archive or unarchive templates: ArchiveType names the state (ARCHIVED / NOT_ARCHIVED), so a repeat
    # leaves the same state. TemplateList: a JSON list of {TemplateCode, Language}.
    _cams("ArchiveChatappTemplate", Kind.WRITE, RetryMode.TRANSIENT,
          ("ArchiveType", "ChannelType", "CustSpaceId", "TemplateList"),
          summary="archive or unarchive templates (an archived template cannot be sent or edited)",
          types={"TemplateList": ParamType.JSON_LIST}),
    # --- a number's life (issue 26): onboarding, registration, deregistration, business usernames ---
    # Checks a pre-validated number's purchase code; names no space (the caller's account).
    _cams("GetPreValidatePhoneId", Kind.READ, RetryMode.TRANSIENT, ("PhoneNumber", "VerifyCode"),
          secret=("VerifyCode",), summary="the id of a pre-validated number, for its purchase code",
          answer_text=("PhoneNumber", "PhoneNumberId")),
    # A second add of a number that landed is refused as a duplicate: never repeated after the server may
    # have acted (the number list settles it). PreValidateId is deprecated in the SDK, still sent for a
    # pre-validated number.
    _cams("AddChatappPhoneNumber", Kind.WRITE, RetryMode.UNSENT_ONLY, ("Cc", "CustSpaceId", "PhoneNumber",
          "VerifiedName"), ("PreValidateId",), summary="add a brand-new number with its display name to a space"),
    # Each accepted call sends an SMS or voice call, and a new code voids the one delivered.
    _cams("GetChatappVerifyCode", Kind.WRITE, RetryMode.UNSENT_ONLY, (*_NUMBER, "Locale", "Method"),
          summary="send a new number's registration code to its owner (SMS or voice)"),
    # A one-time code: never repeated after the server may have acted (GetPhoneNumberVerificationStatus
    # and the number's status settle a lost answer).
    _cams("ChatappVerifyAndRegister", Kind.WRITE, RetryMode.UNSENT_ONLY, (*_NUMBER, "VerifyCode"),
          secret=("VerifyCode",), summary="verify a new number's registration code and register it"),
    _cams("ChatappPhoneNumberRegister", Kind.WRITE, RetryMode.UNSENT_ONLY, _NUMBER,
          summary="register a verified number that is not registered (pre-validated, or deregistered)"),
    _cams("ChatappPhoneNumberDeregister", Kind.WRITE, RetryMode.UNSENT_ONLY, _NUMBER,
          summary="deregister a number: it stops sending and receiving on WhatsApp"),
    _cams("GetWhatsappUserName", Kind.READ, RetryMode.TRANSIENT, _NUMBER,
          summary="read a number's business username and its status", answer_text=("Username", "Status")),
    _cams("GetWhatsappUserNameSuggestions", Kind.READ, RetryMode.TRANSIENT, _NUMBER,
          summary="usernames the platform suggests (reserved) for a number"),
    # Sets a name (a repeat leaves the same name); TransferAction force_transfer takes it from another
    # number of the same business portfolio.
    _cams("UpdateWhatsappUserName", Kind.WRITE, RetryMode.TRANSIENT, (*_NUMBER, "Username"), ("TransferAction",),
          summary="set a number's business username (force_transfer moves it from another number)",
          answer_text=("Status",)),
    # A repeated delete of a name already gone is refused: only retried when provably not carried out.
    _cams("DeleteWhatsappUserName", Kind.WRITE, RetryMode.UNSENT_ONLY, _NUMBER,
          summary="remove a number's business username"),
    # WhatsApp Flows (issue 27). Categories and Page travel as compact JSON (the SDK's *_shrink fields).
    _cams("ListFlow", Kind.READ, RetryMode.TRANSIENT, (), ("CustSpaceId", "FlowName", "Page"),
          summary="list a space's Flows (id, name, categories), one page at a time",
          types={"Page": ParamType.JSON_OBJECT}, answer_text=("FlowId", "FlowName")),
    _cams("GetFlow", Kind.READ, RetryMode.TRANSIENT, ("FlowId",), ("CustSpaceId",),
          summary="read a Flow: name, categories, endpoint, status, JSON version",
          answer_text=("FlowId", "FlowName", "Status", "EndpointUri", "JSONVersion", "DataApiVersion")),
    _cams("GetFlowJSONAssest", Kind.READ, RetryMode.TRANSIENT, (), ("CustSpaceId", "FlowId"),
          summary="a download link of a Flow's JSON (the API's own spelling)", answer_text=("FilePath",)),
    _cams("GetFlowPreviewUrl", Kind.READ, RetryMode.TRANSIENT, ("FlowId",), ("CustSpaceId",),
          summary="a Flow's preview link and when it expires", answer_text=("PreviewUrl",)),
    # A second create of the name is refused as a duplicate (names are unique per space): not repeated
    # after the server may have acted; apply settles a lost answer by listing the Flows.
    _cams("CreateFlow", Kind.WRITE, RetryMode.UNSENT_ONLY, ("Categories", "FlowName"), ("CustSpaceId", "EndpointUri"),
          summary="create a draft WhatsApp Flow", types={"Categories": ParamType.JSON_LIST}),
    _cams("ModifyFlow", Kind.WRITE, RetryMode.TRANSIENT, ("Categories", "FlowName"),
          ("CustSpaceId", "EndpointUri", "FlowId"),
          summary="set a draft Flow's name, categories and endpoint (idempotent)",
          types={"Categories": ParamType.JSON_LIST}),
    # Issues temporary object-storage credentials; the answer holds secrets (never logged or shown).
    _cams("GetChatappUploadAuthorization", Kind.WRITE, RetryMode.TRANSIENT, _SPACE,
          summary="temporary object-storage credentials to upload a Flow's JSON"),
    _cams("UpdateFlowJSONAsset", Kind.WRITE, RetryMode.TRANSIENT, ("FilePath", "FlowId"), ("CustSpaceId",),
          qps=_SLOW, summary="make an uploaded file a draft Flow's JSON (idempotent)"),
    # Publishing twice is refused (the Flow is no longer a draft): not repeated after the server may have
    # acted; apply settles a lost answer by reading the Flow's status.
    _cams("PublishFlow", Kind.WRITE, RetryMode.UNSENT_ONLY, ("FlowId",), ("CustSpaceId",),
          qps=_SLOW, summary="publish a draft Flow (its JSON must be valid); it cannot change afterwards"),
    _cams("DeprecateFlow", Kind.WRITE, RetryMode.UNSENT_ONLY, ("FlowId",), ("CustSpaceId",),
          summary="deprecate a published Flow (it can no longer be sent)"),
    _cams("DeleteFlow", Kind.WRITE, RetryMode.UNSENT_ONLY, ("FlowId",), ("CustSpaceId",),
          summary="delete a draft Flow"),
    # BSS OpenAPI does not disclose a RAM action for this API ("no authorization information").
    ActionSpec("GetCustomerAccountInfo", Product.BSS, BSS_VERSION, Kind.READ, RetryMode.TRANSIENT,
               optional=("OwnerId",), summary="account status: hosting/credit freeze, real-name certification",
               types=MappingProxyType({"OwnerId": ParamType.INTEGER})),
)

# ActionTrail's event history, for drift --attribution (alibabacloud_actiontrail20200706's LookupEventsRequest:
# no parameter is required; every value travels as a string, MaxResults too). LookupAttribute is a list of
# {Key, Value} the SDK flattens to LookupAttribute.N.Key/Value, and the service takes one condition per query,
# so the one condition is spelled flat here.
_ACTIONTRAIL: tuple[ActionSpec, ...] = (
    ActionSpec("LookupEvents", Product.ACTIONTRAIL, ACTIONTRAIL_VERSION, Kind.READ, RetryMode.TRANSIENT,
               optional=("StartTime", "EndTime", "Direction", "MaxResults", "NextToken", "LookupAttribute.1.Key",
                         "LookupAttribute.1.Value"),
               ram_action="actiontrail:LookupEvents", summary="the account's API events (who called what, when)"),
)

ACTIONS: Mapping[str, ActionSpec] = MappingProxyType({spec.name: spec for spec in (*_SPECS, *_ACTIONTRAIL)})


def get_action(name: str) -> ActionSpec:
    """The spec of ``name``; an unknown name raises an error that lists the known ones."""
    try:
        return ACTIONS[name]
    except KeyError:
        known = ", ".join(sorted(ACTIONS))
        raise UnknownActionError(f"unknown action {name!r}; known actions: {known}") from None
