"""Who may read, write and acknowledge in an event's channels.

Asked by name: ``user.has_perm("messaging.read_channel", channel)``. ``all`` is for the
event's organisers, police and city members; ``officials`` for its police and city members
only — organisers never read or write it.
"""

import rules

from coordination.parties import is_city, is_official
from events.workflow import CLOSED_STATES  # a channel is read-only once its event is over
from messaging.models import CHANNEL_ROLES


@rules.predicate
def is_channel_audience(user, channel) -> bool:
    if channel is None or not user.is_authenticated or not user.is_active:
        return False
    if user.role not in CHANNEL_ROLES.get(channel.name, ()):
        return False
    return channel.event.memberships.filter(user_id=user.pk).exists()


@rules.predicate
def is_channel_open(user, channel) -> bool:
    return channel is not None and channel.event.state not in CLOSED_STATES


@rules.predicate
def can_acknowledge(user, message) -> bool:
    if message is None or not message.needs_acknowledgement or message.sender_id == user.pk:
        return False
    return is_channel_audience(user, message.channel)


rules.add_perm("messaging.read_channel", is_channel_audience)
rules.add_perm("messaging.post_in_channel", is_channel_audience & is_channel_open)
rules.add_perm("messaging.acknowledge_message", can_acknowledge)


@rules.predicate
def reads_messages_channel(user, message) -> bool:
    return message is not None and is_channel_audience(user, message.channel)


# Key moments (messaging/key_moments.py): city staff who read the message's channel mark
# any message of it, in any state of the event (they are marked during the review too).
rules.add_perm("messaging.mark_key_moment", is_city & reads_messages_channel)


# Standard instructions (messaging.models.StandardInstruction): city staff keep the set;
# police and city send them and list them to choose one. Organisers neither list nor send
# them: every message frame they receive carries the instruction's texts already.
rules.add_perm("messaging.manage_standard_instructions", is_city)
rules.add_perm("messaging.view_standard_instructions", is_official)
rules.add_perm("messaging.send_standard_instruction", is_official)
