"""Multipart text fields must be UTF-8. Starlette decodes an invalid one as Latin-1 instead, and
after that it cannot be told from valid text: a name sent as the bytes `Jos\\xe9` would be stored
as "Jos\u00e9" without a word. The seed API's form (a person's `name`) is read strictly here, and
such a field is refused with 400 naming it."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.routing import APIRoute
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException, MultiPartParser


class StrictMultiPartParser(MultiPartParser):
    def on_part_end(self) -> None:
        part = self._current_part
        if part.file is None:
            try:
                part.data.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise MultiPartException(f'The form field "{part.field_name[:64]}" is not valid UTF-8.') from exc
        super().on_part_end()


class StrictFormRequest(Request):
    async def form(self, **limits: Any) -> FormData:  # type: ignore[override]
        if self._form is None and self.headers.get("content-type", "").startswith("multipart/form-data"):
            parser = StrictMultiPartParser(self.headers, self.stream(), **limits)
            try:
                self._form = await parser.parse()
            except MultiPartException as exc:
                raise HTTPException(status_code=400, detail=exc.message) from exc
        return await super().form(**limits)


class StrictFormRoute(APIRoute):
    """A route whose handler reads its multipart form with `StrictFormRequest`."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def with_strict_form(request: Request) -> Response:
            return await handler(StrictFormRequest(request.scope, request.receive))

        return with_strict_form
