"""The sales API: opportunities, their stage moves, pipelines and stages, and the sales lists.

Thin endpoints: parse, call `services`, serialise. Reads go through `queries` and the access
querysets, so an opportunity out of the caller's reach answers 404 exactly like a missing one;
writes the caller may not make answer 403."""

from django.http import Http404, HttpRequest, HttpResponse
from ninja import Path, Query, Router, Status

from clientela.core import services as platform_services
from clientela.core.access import Action, get_for_user_or_404, is_crm_user
from clientela.core.api import (
    MAX_ID,
    PageOut,
    PageParams,
    error_responses,
    if_match_version,
    page_out,
    set_etag,
)
from clientela.core.pagination import paginate

from . import services
from .exports import opportunities_csv_response
from .filters import OpportunityFilter
from .models import SALES_ADMIN_LISTS, Opportunity, Pipeline, Stage
from .queries import opportunity_detail, opportunity_list, pipelines_with_stages, stage_history
from .schemas import (
    OpportunityIn,
    OpportunityOut,
    OpportunityPatch,
    OpportunityRowOut,
    PipelineIn,
    PipelineOut,
    PipelinePatch,
    StageChangeIn,
    StageChangeOut,
    StageIn,
    StageOrderIn,
    StageOut,
    StagePatch,
)

router = Router(tags=["sales"])

# "/opportunities/export.csv" is declared before "/opportunities/{opportunity_id}" so that it
# wins: the id is a plain path segment (a malformed one is a JSON 422, not an HTML 404).

OpportunityId = Path(..., ge=1, le=MAX_ID, description="Opportunity id.")
PipelineId = Path(..., ge=1, le=MAX_ID, description="Pipeline id.")
StageId = Path(..., ge=1, le=MAX_ID, description="Stage id.")


def _visible(request, opportunity_id: int) -> Opportunity:
    return get_for_user_or_404(Opportunity.objects, request.user, Action.VIEW, pk=opportunity_id)


def _out(request, opportunity: Opportunity) -> Opportunity:
    """The opportunity as its detail representation loads it; after a write that took it out
    of the caller's reach, the written instance (the write did happen)."""
    try:
        return opportunity_detail(request.user, opportunity.pk)
    except Opportunity.DoesNotExist:
        return opportunity


def _expected_version(request, body_version):
    expected = if_match_version(request)
    return expected if expected is not None else body_version


@router.get(
    "/opportunities",
    response={200: PageOut[OpportunityRowOut], **error_responses()},
    summary="List opportunities",
)
def list_opportunities(
    request: HttpRequest, filters: Query[OpportunityFilter], page: Query[PageParams]
) -> dict:
    """The opportunities the caller may see, filtered and sorted. Follow `next_offset` to page
    on; ask `count=true` for the number of matches (it stops at a cap)."""
    result = paginate(opportunity_list(request.user, filters), page.offset, page.limit, page.count)
    return page_out(result, [OpportunityRowOut.row(o) for o in result.items])


@router.get(
    "/opportunities/export.csv",
    response={200: None, **error_responses()},
    summary="Export opportunities as CSV",
    openapi_extra={
        "responses": {200: {"description": "CSV", "content": {"text/csv": {"schema": {}}}}}
    },
)
def export_opportunities(request: HttpRequest, filters: Query[OpportunityFilter]):
    """The same filters and order as the list; only opportunities the caller may see, and
    empty where their contact or customer is out of the caller's reach."""
    return opportunities_csv_response(request, filters)


@router.post(
    "/opportunities",
    response={201: OpportunityOut, **error_responses(400)},
    summary="Create an opportunity",
)
def create_opportunity(request: HttpRequest, response: HttpResponse, payload: OpportunityIn):
    data = payload.model_dump(exclude_unset=True)
    data.setdefault("amount", payload.amount)
    opportunity = services.create_opportunity(request.user, data)
    set_etag(response, opportunity.version)
    return Status(201, _out(request, opportunity))


@router.get(
    "/opportunities/{opportunity_id}",
    response={200: OpportunityOut, **error_responses(404)},
    summary="Read an opportunity",
)
def read_opportunity(
    request: HttpRequest, response: HttpResponse, opportunity_id: int = OpportunityId
):
    """The `ETag` header holds the version; send it back as `If-Match` when you update."""
    try:
        opportunity = opportunity_detail(request.user, opportunity_id)
    except Opportunity.DoesNotExist as exc:
        raise Http404 from exc
    set_etag(response, opportunity.version)
    return opportunity


@router.patch(
    "/opportunities/{opportunity_id}",
    response={200: OpportunityOut, **error_responses(400, 403, 404, 409, 412)},
    summary="Update an opportunity",
)
def update_opportunity(
    request: HttpRequest,
    response: HttpResponse,
    payload: OpportunityPatch,
    opportunity_id: int = OpportunityId,
):
    """Only the fields sent change. A stale `If-Match` answers 412, a stale `version` 409."""
    opportunity = _visible(request, opportunity_id)
    data = payload.model_dump(exclude_unset=True)
    body_version = data.pop("version", None)
    opportunity = services.update_opportunity(
        request.user, opportunity, data, _expected_version(request, body_version)
    )
    set_etag(response, opportunity.version)
    return _out(request, opportunity)


@router.delete(
    "/opportunities/{opportunity_id}",
    response={204: None, **error_responses(403, 404, 409)},
    summary="Delete an opportunity",
)
def delete_opportunity(request: HttpRequest, opportunity_id: int = OpportunityId):
    services.delete_opportunity(request.user, _visible(request, opportunity_id))
    return Status(204, None)


@router.post(
    "/opportunities/{opportunity_id}/stage",
    response={200: OpportunityOut, **error_responses(400, 403, 404, 409, 412)},
    summary="Move an opportunity to another stage",
)
def change_stage(
    request: HttpRequest,
    response: HttpResponse,
    payload: StageChangeIn,
    opportunity_id: int = OpportunityId,
):
    """A stage of the opportunity's pipeline. A lost stage needs `lost_reason_id`; a won or
    lost one sets `closed_at`. The stage history and the timeline record the move."""
    opportunity = _visible(request, opportunity_id)
    opportunity = services.change_stage(
        request.user,
        opportunity,
        payload.stage_id,
        _expected_version(request, payload.version),
        lost_reason=payload.lost_reason_id,
    )
    set_etag(response, opportunity.version)
    return _out(request, opportunity)


@router.get(
    "/opportunities/{opportunity_id}/stage-history",
    response={200: list[StageChangeOut], **error_responses(404)},
    summary="An opportunity's stage history",
)
def read_stage_history(request: HttpRequest, opportunity_id: int = OpportunityId):
    """Every stage the opportunity entered, oldest first: when, by whom, and when it left."""
    return list(stage_history(_visible(request, opportunity_id)))


# --- pipelines and stages ----------------------------------------------------------------


def _pipeline(pipeline_id: int) -> Pipeline:
    pipeline = pipelines_with_stages().filter(pk=pipeline_id).first()
    if pipeline is None:
        raise Http404
    return pipeline


def _stage(stage_id: int) -> Stage:
    stage = Stage.objects.select_related("pipeline").filter(pk=stage_id).first()
    if stage is None:
        raise Http404
    return stage


@router.get(
    "/pipelines",
    response={200: list[PipelineOut], **error_responses()},
    summary="List pipelines with their stages",
)
def list_pipelines(request: HttpRequest):
    return list(pipelines_with_stages())


@router.post(
    "/pipelines",
    response={201: PipelineOut, **error_responses(400)},
    summary="Create a pipeline (admins)",
)
def create_pipeline(request: HttpRequest, payload: PipelineIn):
    """A new pipeline starts with an open, a won and a lost stage."""
    pipeline = services.save_pipeline(request.user, None, payload.model_dump(exclude_none=True))
    return Status(201, _pipeline(pipeline.pk))


@router.get(
    "/pipelines/{pipeline_id}",
    response={200: PipelineOut, **error_responses(404)},
    summary="Read a pipeline",
)
def read_pipeline(request: HttpRequest, pipeline_id: int = PipelineId):
    return _pipeline(pipeline_id)


@router.patch(
    "/pipelines/{pipeline_id}",
    response={200: PipelineOut, **error_responses(400, 404)},
    summary="Rename, reorder or make default a pipeline (admins)",
)
def update_pipeline(request: HttpRequest, payload: PipelinePatch, pipeline_id: int = PipelineId):
    pipeline = _pipeline(pipeline_id)
    services.save_pipeline(
        request.user, pipeline, payload.model_dump(exclude_unset=True, exclude_none=True)
    )
    return _pipeline(pipeline_id)


@router.delete(
    "/pipelines/{pipeline_id}",
    response={204: None, **error_responses(404, 409)},
    summary="Delete a pipeline without opportunities (admins)",
)
def delete_pipeline(request: HttpRequest, pipeline_id: int = PipelineId):
    services.delete_pipeline(request.user, _pipeline(pipeline_id))
    return Status(204, None)


@router.post(
    "/pipelines/{pipeline_id}/stages",
    response={201: StageOut, **error_responses(400, 404)},
    summary="Add a stage to a pipeline (admins)",
)
def create_stage(request: HttpRequest, payload: StageIn, pipeline_id: int = PipelineId):
    pipeline = _pipeline(pipeline_id)
    data = payload.model_dump(exclude_none=True)
    return Status(201, services.save_stage(request.user, pipeline, None, data))


@router.put(
    "/pipelines/{pipeline_id}/stage-order",
    response={200: list[StageOut], **error_responses(400, 404)},
    summary="Reorder a pipeline's stages (admins)",
)
def order_stages(request: HttpRequest, payload: StageOrderIn, pipeline_id: int = PipelineId):
    """List every stage id of the pipeline once, in the new order. Opportunities stay put."""
    return services.reorder_stages(request.user, _pipeline(pipeline_id), payload.stage_ids)


@router.patch(
    "/stages/{stage_id}",
    response={200: StageOut, **error_responses(400, 404)},
    summary="Rename, recolour or reorder a stage (admins)",
)
def update_stage(request: HttpRequest, payload: StagePatch, stage_id: int = StageId):
    """Opportunities refer to the stage by id: renaming or moving it never loses any."""
    stage = _stage(stage_id)
    data = payload.model_dump(exclude_unset=True, exclude_none=True)
    return services.save_stage(request.user, stage.pipeline, stage, data)


@router.delete(
    "/stages/{stage_id}",
    response={204: None, **error_responses(404, 409)},
    summary="Delete a stage no opportunity is in (admins)",
)
def delete_stage(request: HttpRequest, stage_id: int = StageId):
    services.delete_stage(request.user, _stage(stage_id))
    return Status(204, None)


# --- lead sources and lost reasons --------------------------------------------------------------


def _register_admin_list(slug: str, model):
    from clientela.contacts.schemas import ListItemIn, ListItemOut, ListItemPatch

    snake = slug.replace("-", "_")
    item_path = f"/{slug}/{{item_id}}"
    ItemId = Path(..., ge=1, le=MAX_ID)

    def item(item_id: int):
        found = model.objects.filter(pk=item_id).first()
        if found is None:
            raise Http404
        return found

    @router.get(
        f"/{slug}",
        response={200: list[ListItemOut], **error_responses()},
        summary=f"List {model._meta.verbose_name_plural}",
        operation_id=f"list_{snake}",
        tags=["settings"],
    )
    def list_items(request: HttpRequest):
        return list(model.objects.all()) if is_crm_user(request.user) else []

    @router.post(
        f"/{slug}",
        response={201: ListItemOut, **error_responses(400)},
        summary=f"Create a {model._meta.verbose_name} (admins)",
        operation_id=f"create_{snake}",
        tags=["settings"],
    )
    def create_item(request: HttpRequest, payload: ListItemIn):
        return Status(
            201, platform_services.save_list_item(request.user, model, None, payload.model_dump())
        )

    @router.patch(
        item_path,
        response={200: ListItemOut, **error_responses(400, 404)},
        summary=f"Change a {model._meta.verbose_name} (admins)",
        operation_id=f"update_{snake}",
        tags=["settings"],
    )
    def update_item(request: HttpRequest, payload: ListItemPatch, item_id: int = ItemId):
        return platform_services.save_list_item(
            request.user,
            model,
            item(item_id),
            payload.model_dump(exclude_unset=True, exclude_none=True),
        )

    @router.delete(
        item_path,
        response={204: None, **error_responses(404, 409)},
        summary=f"Delete a {model._meta.verbose_name} (admins)",
        operation_id=f"delete_{snake}",
        tags=["settings"],
    )
    def delete_item(request: HttpRequest, item_id: int = ItemId):
        platform_services.delete_list_item(request.user, item(item_id))
        return Status(204, None)


for _slug, _model in SALES_ADMIN_LISTS.items():
    _register_admin_list(_slug, _model)
