"""What `privacy` tells the apps that hold personal data, without importing them.

`health_withdrawn(sender=Consent, client=Client)` is sent inside the transaction that recorded a
client's withdrawal of their health-data consent: each app holding such data (progress: the
measurements, photos and open check-ins) deletes it there, so the withdrawal and the deletion
commit together or not at all.
"""

from django.dispatch import Signal

health_withdrawn = Signal()
