"""Per-request consent loaders: one `ConsentService` call per batch of customers or
identifiers, cached for the request only, so a decision takes effect on the next request."""

from __future__ import annotations

from strawberry.dataloader import DataLoader

from privacy.consent import EffectiveConsent
from privacy.consent_store import ConsentService


class ConsentLoaders:
    """Effective consent of customers and of identifiers, batched per request."""

    def __init__(self, service: ConsentService) -> None:
        self.service = service
        self.customers: DataLoader[str, EffectiveConsent] = DataLoader(self._customers)
        self.identifiers: DataLoader[str, EffectiveConsent] = DataLoader(self._identifiers)

    async def _customers(self, ids: list[str]) -> list[EffectiveConsent]:
        found = await self.service.of_customers(ids)
        return [found[i] for i in ids]

    async def _identifiers(self, keys: list[str]) -> list[EffectiveConsent]:
        found = await self.service.of_identifiers(keys)
        return [found[k] for k in keys]

    async def of(self, customer_id: str | None, key: str | None = None) -> EffectiveConsent:
        """A customer's effective consent, or (without one) an identifier's own."""
        if customer_id is not None:
            return await self.customers.load(customer_id)
        if key is None:
            raise ValueError("a customer id or an identifier key is needed")
        return await self.identifiers.load(key)
