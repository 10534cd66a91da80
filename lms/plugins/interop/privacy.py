"""A person's learning events (the xAPI record) for their download. The events name the
person by user id only, so erasure leaves them as they are: an xAPI statement takes the
actor's name and account from the (pseudonymised) user row when it is built."""
from __future__ import annotations

from lms.plugins.interop.models import LearningEvent
from lms.privacy import model_data


def personal_data(user):
    return [model_data("learning_events", "Catatan kegiatan belajar Anda (bentuk pernyataan xAPI).",
                       "Your learning activity record (in the shape of xAPI statements).",
                       LearningEvent, LearningEvent.user_id == user.id)]
