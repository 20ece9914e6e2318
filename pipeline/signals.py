"""What the pipeline tells apps above it, without importing them.

`stage_entered(sender=StageMove, client=Client, move=StageMove)` is sent by `pipeline.services`
inside the transaction that moved the client (by hand or by a journey event); a receiver that acts
outside the database defers its work to commit (`transaction.on_commit` / `enqueue_on_commit`).
The automations engine fires its "entered a stage" rules from it at once.
"""

from django.dispatch import Signal

stage_entered = Signal()
