"""Gateway: the only HTTP in the system. REST in, gRPC to the detector, embedder and registry.

Module map (what each module owns):
  __main__         `python -m facerec_gateway`: uvicorn serving `app`
  app              the FastAPI application: lifespan (backends, keys, public gRPC), middleware order
  backends         gRPC channels to the three services: replicas, health routing, retries, deadlines
  use_cases/       the product's flows, independent of any API shape (map in its __init__)
  routes/          the seed's four endpoints (`seed`), health probes, OpenAPI error descriptions
  v1/              the v1 REST API: one router per resource, its schemas, params and convert
  grpc_api         the public gRPC FaceService, over the same use cases
  security         API keys, scopes, collection binding, rate limits (REST and gRPC alike)
  dependencies     FastAPI dependencies: settings, backends, use cases, the caller
  errors           domain errors as HTTP answers (each error class carries its status)
  face_choice      the detector's answer as subject choice (facerec_common.subject) sees it
  quality_gate     which faces are fit to enrol, with reasons
  uploads, limits, upload_budget, strict_form, json_body   what a request body may be, read once
  http_telemetry   request ids, spans and metrics of each REST request
  docs, console/   offline API docs and the web console
  schemas          the seed API's response bodies, field for field
  settings         GatewaySettings, from the environment
"""
