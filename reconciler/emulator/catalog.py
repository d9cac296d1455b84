"""The actions the emulator serves: which product/version each belongs to, read or write, required params.

One table, so the HTTP layer (unknown action / wrong version), the backend (missing parameters) and the
state-file validation (a key's ``actions`` list must name real actions) agree.
"""

from __future__ import annotations

from dataclasses import dataclass

CAMS_VERSION = "2020-06-06"
BSS_VERSION = "2017-12-14"
ACTIONTRAIL_VERSION = "2020-07-06"


@dataclass(frozen=True)
class ActionSpec:
    name: str
    product: str  # "cams" or "bssopenapi" (the RAM service prefix, as in "cams:UpdatePhoneWebhook")
    version: str
    write: bool
    required: tuple[str, ...]
    #: the documented rate when lower than the usual one: the emulator refuses beyond the lower of the two
    qps: float | None = None


def _cams(name: str, write: bool, *required: str) -> ActionSpec:
    return ActionSpec(name, "cams", CAMS_VERSION, write, required)


def _slow(name: str, write: bool, *required: str) -> ActionSpec:
    """An action the API docs limit to 5 requests per second per account (not the usual 10)."""
    return ActionSpec(name, "cams", CAMS_VERSION, write, required, qps=5.0)


ACTIONS: dict[str, ActionSpec] = {
    spec.name: spec
    for spec in (
        # Required as the official SDK's request models mark them. CustSpaceId is optional for these two (a
        # direct customer's own instance stands in); the emulator models ISV sub-customer spaces only, so a
        # call without it reaches no space it knows (Unknown.ResourceOwnerId), but it is not refused as
        # MissingParameter.
        _cams("QueryChatappPhoneNumbers", False),
        _cams("QueryPhoneBusinessProfile", False, "CustSpaceId", "PhoneNumber"),
        _cams("GetChatappPhoneNumberSetting", False, "PhoneNumber"),
        _cams("ChatappSyncPhoneNumber", True, "CustSpaceId"),
        _cams("ChatappMigrationVerified", True, "CustSpaceId", "PhoneNumber", "VerifyCode"),
        _cams("UpdatePhoneWebhook", True, "CustSpaceId", "PhoneNumber"),
        _cams("ModifyPhoneBusinessProfile", True, "CustSpaceId", "PhoneNumber"),
        _cams("GetMigrationVerifyCode", True, "CustSpaceId", "PhoneNumber", "Locale", "Method"),
        _cams("ChatappMigrationRegister", True, "CustSpaceId", "PhoneNumber"),
        _cams("GetPhoneNumberVerificationStatus", False, "CustSpaceId", "PhoneNumber"),
        ActionSpec("GetCustomerAccountInfo", "bssopenapi", BSS_VERSION, False, ()),
        ActionSpec("LookupEvents", "actiontrail", ACTIONTRAIL_VERSION, False, ()),  # emulator/actiontrail.py
        # Number settings (issue 16; emulator/settings.py). CustSpaceId is optional where the SDK has it so
        # (the encryption key and message QR code APIs): without it no space of the emulator is reached.
        _cams("GetCommerceSetting", False, "CustSpaceId", "PhoneNumber"),
        _cams("UpdateCommerceSetting", True, "CustSpaceId", "PhoneNumber", "CartEnable", "CatalogVisible"),
        _slow("GetConversationalAutomation", False, "CustSpaceId", "PhoneNumber"),
        _slow("UpdateConversationalAutomation", True, "CustSpaceId", "PhoneNumber"),
        _cams("GetPhoneEncryptionPublicKey", False, "PhoneNumber"),
        _cams("UpdatePhoneEncryptionPublicKey", True, "PhoneNumber", "EncryptionPublicKey"),
        _cams("ListPhoneMessageQrdl", False, "PhoneNumber"),
        _slow("CreatePhoneMessageQrdl", True, "PhoneNumber", "PrefilledMessage", "GenerateQrImage"),
        _cams("UpdatePhoneMessageQrdl", True, "PhoneNumber", "QrdlCode", "PrefilledMessage", "GenerateQrImage"),
        _cams("DeletePhoneMessageQrdl", True, "PhoneNumber", "QrdlCode"),
        _cams("UpdateAccountWebhook", True, "CustSpaceId"),
        _slow("GetWhatsappHealthStatus", False, "CustSpaceId", "NodeType"),
        # Message templates (emulator/templates.py). Required as the SDK's request models mark them; the
        # "TemplateCode or TemplateName" rule and DeleteChatappTemplate's TemplateType-with-Language rule are
        # checked by the actions themselves.
        _slow("ListChatappTemplate", False),
        _cams("GetChatappTemplateDetail", False, "Language"),
        _cams("CreateChatappTemplate", True, "Category", "Components", "Language", "Name", "TemplateType"),
        _cams("ModifyChatappTemplate", True, "Components", "Language"),
        _cams("ModifyChatappTemplateProperties", True, "CustSpaceId", "Language", "TemplateCode", "TemplateType"),
        _cams("DeleteChatappTemplate", True),
        _cams("ArchiveChatappTemplate", True, "ArchiveType", "ChannelType", "CustSpaceId", "TemplateList"),
        # A number's life (issue 26; emulator/lifecycle.py, emulator/usernames.py). GetPreValidatePhoneId
        # names no space: it checks a purchase code against the caller's account.
        _cams("GetPreValidatePhoneId", False, "PhoneNumber", "VerifyCode"),
        _cams("AddChatappPhoneNumber", True, "Cc", "CustSpaceId", "PhoneNumber", "VerifiedName"),
        _cams("GetChatappVerifyCode", True, "CustSpaceId", "Locale", "Method", "PhoneNumber"),
        _cams("ChatappVerifyAndRegister", True, "CustSpaceId", "PhoneNumber", "VerifyCode"),
        _cams("ChatappPhoneNumberRegister", True, "CustSpaceId", "PhoneNumber"),
        _cams("ChatappPhoneNumberDeregister", True, "CustSpaceId", "PhoneNumber"),
        _cams("GetWhatsappUserName", False, "CustSpaceId", "PhoneNumber"),
        _cams("GetWhatsappUserNameSuggestions", False, "CustSpaceId", "PhoneNumber"),
        _cams("UpdateWhatsappUserName", True, "CustSpaceId", "PhoneNumber", "Username"),
        _cams("DeleteWhatsappUserName", True, "CustSpaceId", "PhoneNumber"),
        # WhatsApp Flows (emulator/flows.py). Required as the SDK's request models mark them (FlowId is
        # optional in ModifyFlow's model; without it no flow is reached: the action refuses it).
        _cams("ListFlow", False),
        _cams("GetFlow", False, "FlowId"),
        _cams("GetFlowJSONAssest", False),
        _cams("GetFlowPreviewUrl", False, "FlowId"),
        _cams("CreateFlow", True, "Categories", "FlowName"),
        _cams("ModifyFlow", True, "Categories", "FlowName"),
        _cams("GetChatappUploadAuthorization", True, "CustSpaceId"),
        _slow("UpdateFlowJSONAsset", True, "FilePath", "FlowId"),
        _slow("PublishFlow", True, "FlowId"),
        _cams("DeprecateFlow", True, "FlowId"),
        _cams("DeleteFlow", True, "FlowId"),
    )
}

VERSIONS = frozenset(spec.version for spec in ACTIONS.values())
