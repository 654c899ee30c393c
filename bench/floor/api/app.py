"""The floor under the API's import target: the libraries the API function must import, used as it
uses them, with none of Jobdeck's own code.

Powertools' Logger and its HTTP API resolver with validation (which is pydantic, and Powertools'
OpenAPI parameter module), one pydantic model and one PynamoDB model, the garbage collector paused as
every function's cold start pauses it. bench/imports.py times `import app` of this directory like a
function's: what is left between this figure and the API's is Jobdeck's."""

from jobdeck import coldstart

with coldstart.imports():
    from typing import Annotated

    from aws_lambda_powertools import Logger
    from aws_lambda_powertools.event_handler import APIGatewayHttpResolver
    from aws_lambda_powertools.event_handler.openapi.params import Path
    from aws_lambda_powertools.logging import correlation_paths
    from aws_lambda_powertools.utilities.typing import LambdaContext
    from pydantic import BaseModel, ConfigDict
    from pynamodb.attributes import UnicodeAttribute
    from pynamodb.models import Model


class Item(Model):
    class Meta:
        table_name = "items"

    id = UnicodeAttribute(hash_key=True)


class ItemOut(BaseModel):
    model_config = ConfigDict(defer_build=True)

    id: str


app = APIGatewayHttpResolver(enable_validation=True)
logger = Logger()


@app.get("/items/<item_id>")
def get_item(item_id: Annotated[str, Path(min_length=1)]) -> ItemOut:
    return ItemOut(id=Item.get(item_id).id)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return app.resolve(event, context)
