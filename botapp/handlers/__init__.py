"""The bot's handlers, one module per feature. Each takes a `Ctx` and queues replies; the router in
`botapp.dispatch` decides which one runs. Handlers call services and build replies with
`botapp.replies`; they never import each other's internals or the dispatcher."""
