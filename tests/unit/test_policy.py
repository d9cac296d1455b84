"""``policy``: exactly the actions each command calls, derived from (and checked against) the registry."""

from __future__ import annotations

import json

import pytest

from reconciler.cli import main
from reconciler.cli.policy import POLICY_COMMANDS, actions_by_command, policy_actions, policy_document
from reconciler.client.actions import ACTIONS

# The number settings' reads and writes (issue 16): each made only where the YAML declares its block, but a
# policy covers every block a repository may declare.
SETTINGS_READS = ["cams:GetChatappPhoneNumberSetting", "cams:GetCommerceSetting", "cams:GetConversationalAutomation",
                  "cams:GetPhoneEncryptionPublicKey", "cams:GetWhatsappHealthStatus", "cams:ListPhoneMessageQrdl"]
SETTINGS_WRITES = ["cams:CreatePhoneMessageQrdl", "cams:DeletePhoneMessageQrdl", "cams:UpdateAccountWebhook",
                   "cams:UpdateCommerceSetting", "cams:UpdateConversationalAutomation",
                   "cams:UpdatePhoneEncryptionPublicKey", "cams:UpdatePhoneMessageQrdl"]
# WhatsApp Flows (issue 27): the plan reads every Flow's JSON back and links a draft's preview; apply uploads
# (GetChatappUploadAuthorization issues the temporary credentials: a write) and runs the lifecycle.
FLOW_READS = ["cams:GetFlow", "cams:GetFlowJSONAssest", "cams:GetFlowPreviewUrl", "cams:ListFlow"]
FLOW_WRITES = ["cams:CreateFlow", "cams:DeleteFlow", "cams:DeprecateFlow", "cams:GetChatappUploadAuthorization",
               "cams:ModifyFlow", "cams:PublishFlow", "cams:UpdateFlowJSONAsset"]
PLAN_ACTIONS = sorted(["bss:GetCustomerAccountInfo", "cams:GetChatappTemplateDetail", "cams:ListChatappTemplate",
                       "cams:GetPhoneNumberVerificationStatus", "cams:QueryChatappPhoneNumbers", "cams:QueryPhoneBusinessProfile", *SETTINGS_READS,
                       "cams:GetWhatsappUserName", *FLOW_READS])
APPLY_WRITES = ["cams:ChatappMigrationRegister", "cams:ChatappMigrationVerified", "cams:ChatappSyncPhoneNumber",
                "cams:CreateChatappTemplate", "cams:DeleteChatappTemplate", "cams:ModifyChatappTemplate",
                "cams:ModifyPhoneBusinessProfile", "cams:UpdatePhoneWebhook", *SETTINGS_WRITES,
                # a number's life (issue 26): onboarding (with a pre-validated number's id), deregistration
                "cams:AddChatappPhoneNumber", "cams:GetChatappVerifyCode", "cams:ChatappVerifyAndRegister",
                "cams:ChatappPhoneNumberRegister", "cams:ChatappPhoneNumberDeregister", "cams:GetPreValidatePhoneId",
                # usernames (the suggestions are read only when a name is refused)
                "cams:UpdateWhatsappUserName", "cams:DeleteWhatsappUserName", "cams:GetWhatsappUserNameSuggestions", *FLOW_WRITES,
                # template archive (archived: true/false)
                "cams:ArchiveChatappTemplate"]


def _printed(capsys: pytest.CaptureFixture[str], command: str) -> dict:
    assert main(["policy", "--for", command]) == 0
    return json.loads(capsys.readouterr().out)


def test_plan_policy_is_exactly_the_reads(capsys: pytest.CaptureFixture[str]) -> None:
    doc = _printed(capsys, "plan")
    assert doc == {"Version": "1", "Statement": [{"Effect": "Allow", "Action": PLAN_ACTIONS, "Resource": "*"}]}


def test_drift_needs_what_plan_needs() -> None:
    assert policy_document("drift") == policy_document("plan")


def test_apply_policy_adds_exactly_the_writes_apply_makes(capsys: pytest.CaptureFixture[str]) -> None:
    doc = _printed(capsys, "apply")
    assert doc["Statement"][0]["Action"] == sorted(PLAN_ACTIONS + APPLY_WRITES)
    # Never the write apply does not make: sending verify codes is the number owner's step.
    assert "cams:GetMigrationVerifyCode" not in doc["Statement"][0]["Action"]


def test_read_only_commands_hold_no_write_of_the_registry() -> None:
    for command in ("plan", "drift", "import"):
        assert not any(ACTIONS[a].is_write for a in actions_by_command()[command])


def test_every_action_listed_exists_in_the_registry() -> None:
    for command, actions in actions_by_command().items():
        assert set(actions) <= set(ACTIONS), command
        assert len(policy_actions(command)) == len(set(actions))


def test_the_choices_of_for_are_the_commands_with_a_policy() -> None:
    assert sorted(actions_by_command()) == sorted(POLICY_COMMANDS)
