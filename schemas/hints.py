"""The local API's "already in contact" shapes: opting in, and the network's answer."""

from __future__ import annotations

from pydantic import BaseModel, Field

from schemas.common import StrictModel


class ContactHintSet(StrictModel):
    """Tell the network that the bureau is in contact with this organisation."""

    person: str = Field(
        min_length=1,
        max_length=200,
        description="Who in the bureau to ask (a name, perhaps a role); shared with peers.",
        examples=["Julie, chargée de diffusion"],
    )


class ContactHintPublic(BaseModel):
    organisation_id: str
    person: str
    shared: bool = True


class NetworkHint(BaseModel):
    """A bureau of the network in contact with an organisation of that name."""

    origin: str = Field(description="The bureau (node slug) that is in contact.")
    own: bool = Field(description="This bureau's own hint.")
    organisation_name: str
    city: str
    person: str
