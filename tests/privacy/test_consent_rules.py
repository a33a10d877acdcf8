"""The consent rules without a store: decisions, latest wins, effective consent, defaults."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from customer_graph.settings import Settings
from gnn.serving.model_users import owning_customer as gnn_owning_customer
from graph.model import IdentifierType
from ingestion.schemas import ConsentPurpose, RecordV1
from privacy.consent import (
    DEFAULTS,
    IDENTIFIER_TYPES,
    PURPOSES,
    Consent,
    Decision,
    UnknownPurposeError,
    clean_source,
    effective,
    is_identifier_key,
    newer,
    owning_customer,
)


def test_purposes_and_identifier_types_match_the_rest_of_the_product() -> None:
    assert set(PURPOSES) == {p.value for p in ConsentPurpose}
    assert {t.value for t in IdentifierType} == IDENTIFIER_TYPES
    assert Settings().consent_defaults == dict(DEFAULTS)
    assert DEFAULTS == {"analytics": True, "personalisation": True, "marketing": False}


def test_the_owning_customer_rule_is_the_recommenders() -> None:
    cases: list[tuple[list[str | None], list[str]]] = [
        ([], []),
        (["b", "a"], ["c"]),
        ([], ["c"]),
        ([], ["c", "d"]),
        ([None], ["x"]),
    ]
    for direct, via in cases:
        assert owning_customer(direct, via) == gnn_owning_customer(direct, via)


def test_decisions_check_their_purpose_and_subject() -> None:
    with pytest.raises(UnknownPurposeError, match="purpose: 'sales'"):
        Decision("cookie:c", "sales", True, "x", 1)
    with pytest.raises(ValueError, match="subject"):
        Decision("", "marketing", True, "x", 1)
    assert Decision("cookie:c", "marketing", True, "x", 1).id == "marketing|cookie:c"


def test_latest_wins_and_a_tie_goes_to_the_withdrawal() -> None:
    granted, withdrawn = Consent(True, "a", 10), Consent(False, "b", 10)
    assert newer(withdrawn, granted)
    assert not newer(granted, withdrawn)
    assert newer(Consent(True, "c", 11), withdrawn)
    assert not newer(Consent(False, "d", 9), granted)
    assert newer(granted, None)
    decisions = [("marketing", Consent(True, "a", 5)), ("marketing", Consent(False, "b", 7))]
    result = effective(decisions, DEFAULTS)
    assert result["marketing"] == Consent(False, "b", 7)
    assert not result.allows("marketing")
    assert result["analytics"] == Consent(True, "default", None)
    assert result["analytics"].is_default
    assert result.granted == {"analytics", "personalisation"}
    with pytest.raises(UnknownPurposeError):
        result.allows("sales")


def test_defaults_come_from_the_settings_and_unknown_purposes_are_refused() -> None:
    settings = Settings(consent_defaults={"personalisation": False})
    assert settings.consent_defaults == {
        "analytics": True,
        "personalisation": False,
        "marketing": False,
    }
    assert not effective([], settings.consent_defaults).allows("personalisation")
    with pytest.raises(ValidationError, match="consent_defaults: purpose: 'sales'"):
        Settings(consent_defaults={"sales": True})


def test_subjects_and_sources() -> None:
    assert is_identifier_key("cookie:abc")
    assert is_identifier_key("email:0f3a")
    assert not is_identifier_key("cus_0123")
    assert not is_identifier_key("crm:123")
    assert clean_source('api:steward:"bob" <x>') == "api:steward:_bob___x_"
    assert clean_source("") == "unknown"
    assert len(clean_source("x" * 1000)) == 160


def test_records_carry_consents_from_json_and_csv() -> None:
    base = {"source": "crm", "source_id": "1", "updated_at": "2026-01-01T00:00:00Z"}
    from_csv = RecordV1.model_validate(
        {**base, "consents": "marketing=false; analytics=true@2026-01-02T00:00:00Z"}
    )
    assert [(c.purpose, c.granted, c.at is not None) for c in from_csv.consents] == [
        (ConsentPurpose.MARKETING, False, False),
        (ConsentPurpose.ANALYTICS, True, True),
    ]
    assert RecordV1.model_validate({**base, "consents": ""}).consents == []
    from_json = RecordV1.model_validate_json(
        '{"source": "crm", "source_id": "1", "updated_at": "2026-01-01T00:00:00Z",'
        ' "consents": [{"purpose": "personalisation", "granted": false}]}'
    )
    assert from_json.consents[0].purpose is ConsentPurpose.PERSONALISATION
    with pytest.raises(ValidationError, match="consents"):
        RecordV1.model_validate({**base, "consents": "marketing"})
    with pytest.raises(ValidationError, match=r"consents\.0\.purpose"):
        RecordV1.model_validate({**base, "consents": "sales=true"})
