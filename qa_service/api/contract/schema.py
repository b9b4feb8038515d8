"""OpenAPI 3.0 schemas from the contract models, in the shape /openapi.json has always had.

pydantic's own generator writes JSON Schema 2020-12 (titles, `anyOf` with null, `$defs`); this walker writes
OpenAPI 3.0.3 directly from the same field declarations: `nullable`, named models as `$ref`s to
`components/schemas` (a subclass of one as `allOf`), others inline; `required` is every field without a
default; bounds come from the fields' constraints and `Published` keywords (some from the `Limits`).
"""
from __future__ import annotations

import types
from typing import Annotated, Any, Literal, Union, get_args, get_origin

import annotated_types
from pydantic import BaseModel
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from qa_service.api.contract.base import Limits, Published

_SCALARS = {str: {"type": "string"}, int: {"type": "integer"}, float: {"type": "number"},
            bool: {"type": "boolean"}, bytes: {"type": "string", "format": "binary"}}


class SchemaWriter:
    """Schemas of models and types; `components` names the models published under components/schemas."""

    def __init__(self, limits: Limits, components: dict[type[BaseModel], str]) -> None:
        self.limits = limits
        self.components = components

    def ref(self, model: type[BaseModel]) -> dict[str, str]:
        return {"$ref": f"#/components/schemas/{self.components[model]}"}

    def component_schemas(self) -> dict[str, Any]:
        return {name: self.model(model) for model, name in self.components.items()}

    def model(self, model: type[BaseModel]) -> dict[str, Any]:
        """The object schema of a model (one that extends a published model: allOf it and its own fields)."""
        base = next((b for b in (getattr(model, "extends", None), *model.__mro__[1:]) if b in self.components), None)
        own = {name: info for name, info in model.model_fields.items()
               if base is None or name not in base.model_fields}
        schema: dict[str, Any] = {"type": "object"}
        required = [name for name, info in own.items() if info.is_required()]
        if required:
            schema["required"] = required
        schema["properties"] = {name: self.field(info) for name, info in own.items()}
        if model.model_config.get("extra") == "forbid":  # unknown keys are refused (the filters object)
            schema["additionalProperties"] = False
        return {"allOf": [self.ref(base), schema]} if base is not None else schema

    def field(self, info: FieldInfo) -> dict[str, Any]:
        schema = self.type(info.annotation, info.metadata, omitted=info.exclude_if is not None)
        if info.default not in (None, PydanticUndefined) and "default" not in schema:
            schema["default"] = info.default
        return schema

    def type(self, tp: Any, metadata: list[Any] | tuple[Any, ...] = (), omitted: bool = False) -> dict[str, Any]:
        """`omitted`: a None value is left out of the body (OMITTED), so the schema does not allow null."""
        if get_origin(tp) is Annotated:
            inner, *extra = get_args(tp)
            return self.type(inner, [*extra, *metadata], omitted)
        origin, args = get_origin(tp), get_args(tp)
        if origin in (Union, types.UnionType):
            present = [a for a in args if a is not type(None)]
            schema = self.type(present[0]) if len(present) == 1 else {"oneOf": [self.type(a) for a in present]}
            if len(present) < len(args) and not omitted:  # None allowed and sent as null
                schema["nullable"] = True
        elif origin is list:
            schema = {"type": "array", "items": self.type(args[0])}
        elif origin is dict:
            schema = {"type": "object"}
            if args and args[1] is not Any:
                schema["additionalProperties"] = self.type(args[1])
        elif origin is Literal:
            schema = {"type": "string", "enum": list(args)}
        elif isinstance(tp, type) and issubclass(tp, BaseModel):
            schema = self.ref(tp) if tp in self.components else self.model(tp)
        else:
            schema = dict(_SCALARS[tp])
        for item in metadata:
            schema.update(self._keywords(item, schema))
        return schema

    def _keywords(self, item: Any, schema: dict[str, Any]) -> dict[str, Any]:
        if isinstance(item, Published):
            return item.resolve(self.limits)
        if isinstance(item, FieldInfo):  # Field(min_length=...) inside Annotated
            return {k: v for m in item.metadata for k, v in self._keywords(m, schema).items()}
        array = schema.get("type") == "array"
        if isinstance(item, annotated_types.MinLen):
            return {"minItems" if array else "minLength": item.min_length}
        if isinstance(item, annotated_types.MaxLen):
            return {"maxItems" if array else "maxLength": item.max_length}
        if isinstance(item, annotated_types.Ge):
            return {"minimum": item.ge}
        if isinstance(item, annotated_types.Le):
            return {"maximum": item.le}
        return {}
