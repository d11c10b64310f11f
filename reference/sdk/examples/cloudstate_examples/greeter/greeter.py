"""The greeter's handlers: one per streaming shape, sync and async mixed on purpose."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

from cloudstate_sdk import Action, ActionContext

from cloudstate_examples.greeter import greeter_pb2 as api

greeter = Action(api.DESCRIPTOR.services_by_name["Greeter"])


def _greeting(name: str) -> api.Greeting:
    return api.Greeting(text=f"Hello, {name or 'stranger'}!")


@greeter.unary("Greet")
def greet(hello: api.Hello, ctx: ActionContext) -> api.Greeting:
    return _greeting(hello.name)


@greeter.stream_in("GreetAll")
async def greet_all(hellos: AsyncIterator[api.Hello], ctx: ActionContext) -> api.Greeting:
    names = [hello.name async for hello in hellos]
    if not names:
        ctx.fail("Nobody to greet.")
    return _greeting(", ".join(names))


@greeter.stream_out("GreetRepeatedly")
def greet_repeatedly(hello: api.Hello, ctx: ActionContext) -> Iterator[api.Greeting]:
    for _ in range(hello.times):
        yield _greeting(hello.name)


@greeter.streamed("Chat")
async def chat(hellos: AsyncIterator[api.Hello], ctx: ActionContext) -> AsyncIterator[api.Greeting]:
    async for hello in hellos:
        yield _greeting(hello.name)
