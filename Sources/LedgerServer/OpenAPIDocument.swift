/// The OpenAPI 3.1 document of `ledger serve` (`GET /openapi.json`): every route, parameter,
/// status code and body schema. Written by hand and kept true by the tests, which validate the
/// server's answers against it (tools/openapi_check.py, schemathesis). It lives in the binary,
/// not in a resource bundle, so an installed `ledger` needs no file beside it.
enum OpenAPIDocument {
    static let json = #"""
{
  "openapi": "3.1.0",
  "info": {
    "title": "campaign-ledger",
    "version": "1",
    "description": "The ledger over HTTP (`ledger serve`). Answers are byte for byte the CLI's `--json` documents. Errors are {\"error\": {\"status\", \"code\", \"message\", \"index\"?}}."
  },
  "servers": [
    {
      "url": "/"
    }
  ],
  "security": [
    {
      "bearer": []
    }
  ],
  "paths": {
    "/v1/events": {
      "post": {
        "summary": "Append a batch of events atomically",
        "operationId": "appendEvents",
        "security": [
          {
            "bearer": []
          }
        ],
        "x-scope": "append",
        "requestBody": {
          "required": true,
          "content": {
            "application/json": {
              "schema": {
                "oneOf": [
                  {
                    "type": "array",
                    "items": {
                      "$ref": "#/components/schemas/Event"
                    }
                  },
                  {
                    "$ref": "#/components/schemas/AppendBatch"
                  }
                ]
              }
            },
            "application/x-ndjson": {
              "schema": {
                "type": "string",
                "description": "JSON Lines: one event per line; blank lines are ignored"
              }
            }
          }
        },
        "responses": {
          "200": {
            "description": "Every event appended, or a duplicate of the event at its position",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/AppendAnswer"
                }
              }
            }
          },
          "400": {
            "$ref": "#/components/responses/BadRequest"
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "409": {
            "$ref": "#/components/responses/Conflict"
          },
          "413": {
            "$ref": "#/components/responses/TooLarge"
          },
          "422": {
            "$ref": "#/components/responses/InvalidEvent"
          },
          "503": {
            "$ref": "#/components/responses/Unavailable"
          }
        }
      },
      "get": {
        "summary": "The log as export lines",
        "operationId": "exportEvents",
        "parameters": [
          {
            "name": "after",
            "in": "query",
            "schema": {
              "type": "integer",
              "minimum": 0
            },
            "description": "the lines after this position (default 0)"
          },
          {
            "name": "limit",
            "in": "query",
            "schema": {
              "type": "integer",
              "minimum": 1,
              "maximum": 10000
            },
            "description": "at most this many lines (default 10000)"
          }
        ],
        "responses": {
          "200": {
            "description": "Export lines",
            "content": {
              "application/x-ndjson": {
                "schema": {
                  "type": "string",
                  "description": "JSON Lines of ExportLine"
                }
              }
            }
          },
          "400": {
            "$ref": "#/components/responses/BadRequest"
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          }
        },
        "security": [
          {
            "bearer": []
          }
        ],
        "x-scope": "read"
      }
    },
    "/v1/events/stream": {
      "get": {
        "summary": "Server-Sent Events: the log after a position, then live",
        "operationId": "streamEvents",
        "parameters": [
          {
            "name": "after",
            "in": "query",
            "schema": {
              "type": "integer",
              "minimum": 0
            }
          },
          {
            "name": "Last-Event-ID",
            "in": "header",
            "schema": {
              "type": "integer",
              "minimum": 0
            },
            "description": "resume after this position"
          }
        ],
        "responses": {
          "200": {
            "description": "An endless event stream",
            "content": {
              "text/event-stream": {
                "schema": {
                  "type": "string",
                  "description": "`id: POSITION` and `data: EXPORT LINE` per event"
                }
              }
            }
          },
          "400": {
            "$ref": "#/components/responses/BadRequest"
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          }
        },
        "security": [
          {
            "bearer": []
          }
        ],
        "x-scope": "read"
      }
    },
    "/v1/head": {
      "get": {
        "summary": "The head of the log: a checkpoint to publish",
        "operationId": "head",
        "responses": {
          "200": {
            "description": "OK",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Head"
                }
              }
            }
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          }
        },
        "security": [
          {
            "bearer": []
          }
        ],
        "x-scope": "read"
      }
    },
    "/v1/campaigns": {
      "get": {
        "summary": "Every campaign (as `campaign list --json`)",
        "operationId": "listCampaigns",
        "parameters": [
          {
            "$ref": "#/components/parameters/asOf"
          },
          {
            "$ref": "#/components/parameters/occurredBefore"
          }
        ],
        "responses": {
          "200": {
            "description": "OK",
            "content": {
              "application/json": {
                "schema": {
                  "type": "array",
                  "items": {
                    "$ref": "#/components/schemas/Campaign"
                  }
                }
              }
            }
          },
          "400": {
            "$ref": "#/components/responses/BadRequest"
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          }
        },
        "security": [
          {
            "bearer": []
          }
        ],
        "x-scope": "read"
      }
    },
    "/v1/campaigns/{campaign}": {
      "get": {
        "summary": "One campaign (as `campaign show --json`)",
        "operationId": "showCampaign",
        "parameters": [
          {
            "$ref": "#/components/parameters/campaign"
          },
          {
            "$ref": "#/components/parameters/asOf"
          },
          {
            "$ref": "#/components/parameters/occurredBefore"
          }
        ],
        "responses": {
          "200": {
            "description": "OK",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Campaign"
                }
              }
            }
          },
          "400": {
            "$ref": "#/components/responses/BadRequest"
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "404": {
            "$ref": "#/components/responses/NotFound"
          }
        },
        "security": [
          {
            "bearer": []
          }
        ],
        "x-scope": "read"
      }
    },
    "/v1/campaigns/{campaign}/metrics": {
      "get": {
        "summary": "A campaign's metrics (as `metrics CAMPAIGN --json`)",
        "operationId": "campaignMetrics",
        "parameters": [
          {
            "$ref": "#/components/parameters/campaign"
          },
          {
            "$ref": "#/components/parameters/asOf"
          },
          {
            "$ref": "#/components/parameters/occurredBefore"
          }
        ],
        "responses": {
          "200": {
            "description": "OK",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Metrics"
                }
              }
            }
          },
          "400": {
            "$ref": "#/components/responses/BadRequest"
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "404": {
            "$ref": "#/components/responses/NotFound"
          }
        },
        "security": [
          {
            "bearer": []
          }
        ],
        "x-scope": "read"
      }
    },
    "/v1/metrics": {
      "get": {
        "summary": "Totals per channel (as `metrics --json`)",
        "operationId": "metrics",
        "parameters": [
          {
            "$ref": "#/components/parameters/asOf"
          },
          {
            "$ref": "#/components/parameters/occurredBefore"
          }
        ],
        "responses": {
          "200": {
            "description": "OK",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/MetricsByChannel"
                }
              }
            }
          },
          "400": {
            "$ref": "#/components/responses/BadRequest"
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          }
        },
        "security": [
          {
            "bearer": []
          }
        ],
        "x-scope": "read"
      }
    },
    "/v1/campaigns/{campaign}/contacts": {
      "get": {
        "summary": "A campaign's contacts in contact-id order (as `contact list --json`)",
        "operationId": "listContacts",
        "parameters": [
          {
            "$ref": "#/components/parameters/campaign"
          },
          {
            "name": "state",
            "in": "query",
            "schema": {
              "type": "string"
            }
          },
          {
            "name": "limit",
            "in": "query",
            "schema": {
              "type": "integer",
              "minimum": 1
            }
          },
          {
            "name": "after",
            "in": "query",
            "schema": {
              "type": "string"
            },
            "description": "start after this contact id"
          },
          {
            "$ref": "#/components/parameters/asOf"
          },
          {
            "$ref": "#/components/parameters/occurredBefore"
          }
        ],
        "responses": {
          "200": {
            "description": "OK",
            "content": {
              "application/json": {
                "schema": {
                  "type": "array",
                  "items": {
                    "$ref": "#/components/schemas/Contact"
                  }
                }
              }
            }
          },
          "400": {
            "$ref": "#/components/responses/BadRequest"
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "404": {
            "$ref": "#/components/responses/NotFound"
          }
        },
        "security": [
          {
            "bearer": []
          }
        ],
        "x-scope": "read"
      }
    },
    "/v1/campaigns/{campaign}/contacts/{contact}": {
      "get": {
        "summary": "One contact (as `contact show --json`)",
        "operationId": "showContact",
        "parameters": [
          {
            "$ref": "#/components/parameters/campaign"
          },
          {
            "name": "contact",
            "in": "path",
            "required": true,
            "schema": {
              "type": "string",
              "minLength": 1
            }
          },
          {
            "$ref": "#/components/parameters/asOf"
          },
          {
            "$ref": "#/components/parameters/occurredBefore"
          }
        ],
        "responses": {
          "200": {
            "description": "OK",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Contact"
                }
              }
            }
          },
          "400": {
            "$ref": "#/components/responses/BadRequest"
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "404": {
            "$ref": "#/components/responses/NotFound"
          }
        },
        "security": [
          {
            "bearer": []
          }
        ],
        "x-scope": "read"
      }
    },
    "/v1/campaigns/{campaign}/history": {
      "get": {
        "summary": "The audit timeline (as `history --json`)",
        "operationId": "history",
        "parameters": [
          {
            "$ref": "#/components/parameters/campaign"
          },
          {
            "name": "contact",
            "in": "query",
            "schema": {
              "type": "string"
            }
          }
        ],
        "responses": {
          "200": {
            "description": "OK",
            "content": {
              "application/json": {
                "schema": {
                  "type": "array",
                  "items": {
                    "$ref": "#/components/schemas/HistoryEntry"
                  }
                }
              }
            }
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "404": {
            "$ref": "#/components/responses/NotFound"
          }
        },
        "security": [
          {
            "bearer": []
          }
        ],
        "x-scope": "read"
      }
    },
    "/v1/campaigns/{campaign}/report": {
      "get": {
        "summary": "The HTML report of a campaign",
        "operationId": "report",
        "parameters": [
          {
            "$ref": "#/components/parameters/campaign"
          }
        ],
        "responses": {
          "200": {
            "description": "A self-contained HTML page",
            "content": {
              "text/html": {
                "schema": {
                  "type": "string"
                }
              }
            }
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "404": {
            "$ref": "#/components/responses/NotFound"
          }
        },
        "security": [
          {
            "bearer": []
          }
        ],
        "x-scope": "read"
      }
    },
    "/v1/campaigns/{campaign}/evidence": {
      "get": {
        "summary": "The evidence export of a campaign (JSON Lines)",
        "operationId": "evidence",
        "parameters": [
          {
            "$ref": "#/components/parameters/campaign"
          }
        ],
        "responses": {
          "200": {
            "description": "JSON Lines",
            "content": {
              "application/x-ndjson": {
                "schema": {
                  "type": "string"
                }
              }
            }
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "404": {
            "$ref": "#/components/responses/NotFound"
          }
        },
        "security": [
          {
            "bearer": []
          }
        ],
        "x-scope": "read"
      }
    },
    "/v1/builds": {
      "get": {
        "summary": "Projection builds (as `projections list --json`)",
        "operationId": "builds",
        "responses": {
          "200": {
            "description": "OK",
            "content": {
              "application/json": {
                "schema": {
                  "type": "array",
                  "items": {
                    "$ref": "#/components/schemas/Build"
                  }
                }
              }
            }
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          }
        },
        "security": [
          {
            "bearer": []
          }
        ],
        "x-scope": "read"
      }
    },
    "/v1/forget": {
      "post": {
        "summary": "Erase a contact's address (ledger forget): appends contact.forgotten; the chain still verifies",
        "operationId": "forget",
        "security": [
          {
            "bearer": []
          }
        ],
        "x-scope": "admin",
        "requestBody": {
          "required": true,
          "content": {
            "application/json": {
              "schema": {
                "$ref": "#/components/schemas/ForgetRequest"
              }
            }
          }
        },
        "responses": {
          "200": {
            "description": "What was erased; a contact forgotten before is listed in alreadyForgotten",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/ForgetResult"
                }
              }
            }
          },
          "400": {
            "$ref": "#/components/responses/BadRequest"
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "404": {
            "$ref": "#/components/responses/NotFound"
          },
          "503": {
            "$ref": "#/components/responses/Unavailable"
          }
        }
      }
    },
    "/v1/rebuild": {
      "post": {
        "summary": "Start a rebuild in the background",
        "operationId": "rebuild",
        "security": [
          {
            "bearer": []
          }
        ],
        "x-scope": "admin",
        "responses": {
          "202": {
            "description": "Started; GET /v1/builds shows its progress",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/RebuildStarted"
                }
              }
            }
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "503": {
            "$ref": "#/components/responses/Unavailable"
          }
        }
      }
    },
    "/v1/builds/{build}/activate": {
      "post": {
        "summary": "Make a build the answering one (a rollback when older)",
        "operationId": "activateBuild",
        "security": [
          {
            "bearer": []
          }
        ],
        "x-scope": "admin",
        "parameters": [
          {
            "name": "build",
            "in": "path",
            "required": true,
            "schema": {
              "type": "integer",
              "minimum": 1
            }
          }
        ],
        "responses": {
          "200": {
            "description": "OK",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Build"
                }
              }
            }
          },
          "400": {
            "$ref": "#/components/responses/BadRequest"
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "404": {
            "$ref": "#/components/responses/NotFound"
          },
          "503": {
            "$ref": "#/components/responses/Unavailable"
          }
        }
      }
    },
    "/v1/callbacks/meta": {
      "post": {
        "summary": "A WhatsApp Cloud API webhook (Meta, or 360dialog forwarding it) as Meta sends it",
        "operationId": "metaCallback",
        "x-scope": "provider",
        "description": "Every `entry[].changes[].value.statuses[]` item, and every inbound `messages[]` item whose `context.id` names a message (→ `responded`). Each status becomes a `contact.status` event of the contact named by the correlation data (`CAMPAIGN/CONTACT/ATTEMPT`) or by the `providerRef` index, or is parked until an event records its message id (docs/callbacks.md). Answered 200 once the events or parked callbacks are on disk. Takes no API token: the provider's signature or token is the authentication. 404 unless the --providers file has a section for this provider.",
        "security": [],
        "parameters": [
          {
            "name": "X-Hub-Signature-256",
            "in": "header",
            "required": true,
            "schema": {
              "type": "string"
            },
            "description": "`sha256=` and the hex HMAC-SHA256 of the raw body keyed with the app secret (`meta.appSecret`)"
          }
        ],
        "requestBody": {
          "required": true,
          "content": {
            "application/json": {
              "schema": {
                "$ref": "#/components/schemas/MetaWebhook"
              }
            }
          }
        },
        "responses": {
          "200": {
            "$ref": "#/components/responses/CallbackAnswer"
          },
          "400": {
            "$ref": "#/components/responses/CallbackMalformed"
          },
          "401": {
            "$ref": "#/components/responses/CallbackUnauthenticated"
          },
          "404": {
            "$ref": "#/components/responses/CallbackNotConfigured"
          },
          "413": {
            "$ref": "#/components/responses/TooLarge"
          },
          "503": {
            "$ref": "#/components/responses/Unavailable"
          }
        }
      }
    },
    "/v1/callbacks/twilio": {
      "post": {
        "summary": "A Twilio Messaging StatusCallback as Twilio posts it",
        "operationId": "twilioCallback",
        "x-scope": "provider",
        "description": "One status per request (`MessageSid`, `MessageStatus`, `ErrorCode`, `RawDlrDoneDate`). Each status becomes a `contact.status` event of the contact named by the correlation data (`CAMPAIGN/CONTACT/ATTEMPT`) or by the `providerRef` index, or is parked until an event records its message id (docs/callbacks.md). Answered 200 once the events or parked callbacks are on disk. Takes no API token: the provider's signature or token is the authentication. 404 unless the --providers file has a section for this provider.",
        "security": [],
        "parameters": [
          {
            "name": "X-Twilio-Signature",
            "in": "header",
            "required": true,
            "schema": {
              "type": "string"
            },
            "description": "base64 HMAC-SHA1, keyed with the auth token (`twilio.authToken`), of the URL Twilio called (`twilio.publicBaseUrl` + path and query, else the request's own URL) followed by the POST parameters sorted by name, each name immediately followed by its value"
          },
          {
            "name": "campaign",
            "in": "query",
            "schema": {
              "type": "string"
            },
            "description": "correlation data put on the StatusCallback URL by the sender: the campaign"
          },
          {
            "name": "contact",
            "in": "query",
            "schema": {
              "type": "string"
            },
            "description": "correlation data: the contact (with `campaign`)"
          },
          {
            "name": "attempt",
            "in": "query",
            "schema": {
              "type": "string"
            },
            "description": "correlation data: the attempt, 1–1000000 (optional)"
          }
        ],
        "requestBody": {
          "required": true,
          "content": {
            "application/x-www-form-urlencoded": {
              "schema": {
                "$ref": "#/components/schemas/TwilioStatusCallback"
              }
            }
          }
        },
        "responses": {
          "200": {
            "$ref": "#/components/responses/CallbackAnswer"
          },
          "400": {
            "$ref": "#/components/responses/CallbackMalformed"
          },
          "401": {
            "$ref": "#/components/responses/CallbackUnauthenticated"
          },
          "404": {
            "$ref": "#/components/responses/CallbackNotConfigured"
          },
          "413": {
            "$ref": "#/components/responses/TooLarge"
          },
          "503": {
            "$ref": "#/components/responses/Unavailable"
          }
        }
      }
    },
    "/v1/callbacks/infobip": {
      "post": {
        "summary": "Infobip delivery reports and seen reports as Infobip sends them",
        "operationId": "infobipCallback",
        "x-scope": "provider",
        "description": "Every item of `results[]`: a delivery report mapped by its status group, or a seen report (`seenAt`, → `read`). Each status becomes a `contact.status` event of the contact named by the correlation data (`CAMPAIGN/CONTACT/ATTEMPT`) or by the `providerRef` index, or is parked until an event records its message id (docs/callbacks.md). Answered 200 once the events or parked callbacks are on disk. Takes no API token: the provider's signature or token is the authentication. 404 unless the --providers file has a section for this provider.",
        "security": [
          {
            "infobipBearer": []
          },
          {
            "infobipBasic": []
          }
        ],
        "parameters": [],
        "requestBody": {
          "required": true,
          "content": {
            "application/json": {
              "schema": {
                "$ref": "#/components/schemas/InfobipReport"
              }
            }
          }
        },
        "responses": {
          "200": {
            "$ref": "#/components/responses/CallbackAnswer"
          },
          "400": {
            "$ref": "#/components/responses/CallbackMalformed"
          },
          "401": {
            "$ref": "#/components/responses/CallbackUnauthenticated"
          },
          "404": {
            "$ref": "#/components/responses/CallbackNotConfigured"
          },
          "413": {
            "$ref": "#/components/responses/TooLarge"
          },
          "503": {
            "$ref": "#/components/responses/Unavailable"
          }
        }
      }
    },
    "/v1/callbacks/vonage": {
      "post": {
        "summary": "A Vonage Messages API message status webhook as Vonage sends it",
        "operationId": "vonageCallback",
        "x-scope": "provider",
        "description": "One status per request (`message_uuid`, `status`, `timestamp`, `client_ref`, `error`). Each status becomes a `contact.status` event of the contact named by the correlation data (`CAMPAIGN/CONTACT/ATTEMPT`) or by the `providerRef` index, or is parked until an event records its message id (docs/callbacks.md). Answered 200 once the events or parked callbacks are on disk. Takes no API token: the provider's signature or token is the authentication. 404 unless the --providers file has a section for this provider.",
        "security": [
          {
            "vonageJwt": []
          }
        ],
        "parameters": [],
        "requestBody": {
          "required": true,
          "content": {
            "application/json": {
              "schema": {
                "$ref": "#/components/schemas/VonageStatus"
              }
            }
          }
        },
        "responses": {
          "200": {
            "$ref": "#/components/responses/CallbackAnswer"
          },
          "400": {
            "$ref": "#/components/responses/CallbackMalformed"
          },
          "401": {
            "$ref": "#/components/responses/CallbackUnauthenticated"
          },
          "404": {
            "$ref": "#/components/responses/CallbackNotConfigured"
          },
          "413": {
            "$ref": "#/components/responses/TooLarge"
          },
          "503": {
            "$ref": "#/components/responses/Unavailable"
          }
        }
      }
    },
    "/v1/callbacks/parked": {
      "get": {
        "summary": "The parked callbacks (as `callbacks parked --json`)",
        "operationId": "parkedCallbacks",
        "description": "Callbacks received but not appended yet: no event records their message id and they carried no correlation data (applied in the transaction of the event that records it), or their status cannot be mapped or was rejected (`parkedBecause`). Ordered by message id.",
        "responses": {
          "200": {
            "description": "OK",
            "content": {
              "application/json": {
                "schema": {
                  "type": "array",
                  "items": {
                    "$ref": "#/components/schemas/ParkedCallback"
                  }
                }
              }
            }
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          }
        },
        "security": [
          {
            "bearer": []
          }
        ],
        "x-scope": "read"
      },
      "delete": {
        "summary": "Drop the parked callbacks received more than an age ago (as `callbacks drop --older-than AGE --json`)",
        "operationId": "dropParkedCallbacks",
        "description": "The only way parked callbacks expire.",
        "parameters": [
          {
            "name": "olderThan",
            "in": "query",
            "required": true,
            "schema": {
              "type": "string",
              "pattern": "^[0-9]+[smhdw]$"
            },
            "description": "an age: a whole number and a unit, s, m, h, d (24 h) or w, e.g. `7d`, `36h`; `0s` drops every parked callback"
          }
        ],
        "responses": {
          "200": {
            "description": "How many were dropped",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Dropped"
                }
              }
            }
          },
          "400": {
            "$ref": "#/components/responses/BadRequest"
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "503": {
            "$ref": "#/components/responses/Unavailable"
          }
        },
        "security": [
          {
            "bearer": []
          }
        ],
        "x-scope": "admin"
      }
    },
    "/healthz": {
      "get": {
        "summary": "Liveness",
        "operationId": "healthz",
        "responses": {
          "200": {
            "description": "OK",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Status"
                }
              }
            }
          }
        },
        "security": []
      }
    },
    "/readyz": {
      "get": {
        "summary": "Readiness: the store is open and the active build is at the head",
        "operationId": "readyz",
        "responses": {
          "200": {
            "description": "OK",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Status"
                }
              }
            }
          },
          "503": {
            "description": "Not ready",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          }
        },
        "security": []
      }
    },
    "/metrics": {
      "get": {
        "summary": "Prometheus metrics",
        "operationId": "prometheus",
        "description": "No token needed when serving loopback without --tokens; else the read scope.",
        "security": [
          {},
          {
            "bearer": []
          }
        ],
        "x-scope": "read",
        "responses": {
          "200": {
            "description": "Prometheus text format",
            "content": {
              "text/plain": {
                "schema": {
                  "type": "string"
                }
              }
            }
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          }
        }
      }
    },
    "/openapi.json": {
      "get": {
        "summary": "This document",
        "operationId": "openapi",
        "responses": {
          "200": {
            "description": "OK",
            "content": {
              "application/json": {
                "schema": {
                  "type": "object"
                }
              }
            }
          }
        },
        "security": []
      }
    }
  },
  "components": {
    "schemas": {
      "Error": {
        "type": "object",
        "required": [
          "error"
        ],
        "additionalProperties": false,
        "properties": {
          "error": {
            "type": "object",
            "required": [
              "status",
              "code",
              "message"
            ],
            "additionalProperties": false,
            "properties": {
              "status": {
                "type": "integer"
              },
              "code": {
                "type": "string"
              },
              "message": {
                "type": "string"
              },
              "index": {
                "type": "integer",
                "minimum": 0,
                "description": "the 0-based event of the request at fault"
              }
            }
          }
        }
      },
      "Event": {
        "type": "object",
        "required": [
          "type",
          "campaign",
          "at"
        ],
        "additionalProperties": false,
        "description": "An event as JSON (interchange.md §1). Which fields a type uses: channel and name on campaign.created; contact on contact.*; address on contact.added; status and attempt on contact.status. The read-only fields of an export line are accepted and ignored.",
        "properties": {
          "type": {
            "type": "string",
            "enum": [
              "campaign.created",
              "campaign.started",
              "campaign.paused",
              "campaign.resumed",
              "campaign.finished",
              "campaign.canceled",
              "contact.added",
              "contact.removed",
              "contact.status",
              "contact.forgotten"
            ]
          },
          "campaign": {
            "type": "string",
            "minLength": 1
          },
          "at": {
            "type": "string",
            "description": "RFC 3339 date-time as given in the event"
          },
          "id": {
            "type": [
              "string",
              "null"
            ]
          },
          "contact": {
            "type": [
              "string",
              "null"
            ]
          },
          "channel": {
            "type": [
              "string",
              "null"
            ]
          },
          "name": {
            "type": [
              "string",
              "null"
            ]
          },
          "address": {
            "type": [
              "string",
              "null"
            ]
          },
          "status": {
            "type": [
              "string",
              "null"
            ]
          },
          "attempt": {
            "type": [
              "integer",
              "null"
            ],
            "minimum": 1,
            "maximum": 1000000
          },
          "code": {
            "type": [
              "string",
              "null"
            ]
          },
          "reason": {
            "type": [
              "string",
              "null"
            ]
          },
          "providerRef": {
            "type": [
              "string",
              "null"
            ]
          },
          "actor": {
            "type": [
              "string",
              "null"
            ]
          },
          "meta": {
            "type": [
              "object",
              "null"
            ]
          },
          "position": {
            "type": [
              "integer",
              "null"
            ]
          },
          "recordedAt": {
            "type": [
              "string",
              "null"
            ]
          },
          "hash": {
            "type": [
              "string",
              "null"
            ]
          },
          "addressSalt": {
            "type": [
              "string",
              "null"
            ]
          },
          "addressDigest": {
            "type": [
              "string",
              "null"
            ]
          },
          "addressProblem": {
            "type": [
              "string",
              "null"
            ]
          }
        }
      },
      "ExportLine": {
        "type": "object",
        "required": [
          "type",
          "campaign",
          "at",
          "id",
          "position",
          "recordedAt",
          "hash"
        ],
        "description": "An event as `ledger export` writes it: the input fields plus position, recordedAt, id, the resolved attempt and hash (interchange.md §1).",
        "properties": {
          "type": {
            "type": "string",
            "enum": [
              "campaign.created",
              "campaign.started",
              "campaign.paused",
              "campaign.resumed",
              "campaign.finished",
              "campaign.canceled",
              "contact.added",
              "contact.removed",
              "contact.status",
              "contact.forgotten"
            ]
          },
          "campaign": {
            "type": "string"
          },
          "at": {
            "type": "string",
            "description": "RFC 3339 date-time as given in the event"
          },
          "id": {
            "type": "string"
          },
          "position": {
            "type": "integer",
            "minimum": 1
          },
          "recordedAt": {
            "type": "string"
          },
          "hash": {
            "type": "string",
            "pattern": "^[0-9a-f]{64}$"
          },
          "attempt": {
            "type": "integer"
          },
          "contact": {
            "type": "string"
          },
          "meta": {
            "type": "object"
          }
        }
      },
      "Expectation": {
        "type": "object",
        "required": [
          "campaign",
          "version"
        ],
        "additionalProperties": false,
        "properties": {
          "campaign": {
            "type": "string"
          },
          "contact": {
            "type": [
              "string",
              "null"
            ]
          },
          "version": {
            "type": "integer",
            "minimum": 0
          }
        }
      },
      "AppendBatch": {
        "type": "object",
        "required": [
          "events"
        ],
        "additionalProperties": false,
        "properties": {
          "events": {
            "type": "array",
            "items": {
              "$ref": "#/components/schemas/Event"
            }
          },
          "expect": {
            "type": "array",
            "items": {
              "$ref": "#/components/schemas/Expectation"
            }
          }
        }
      },
      "AppendOutcome": {
        "type": "object",
        "required": [
          "outcome",
          "position",
          "id"
        ],
        "additionalProperties": false,
        "properties": {
          "outcome": {
            "type": "string",
            "enum": [
              "appended",
              "duplicate"
            ]
          },
          "position": {
            "type": "integer",
            "minimum": 1
          },
          "id": {
            "type": "string"
          }
        }
      },
      "AppendAnswer": {
        "type": "object",
        "required": [
          "outcomes"
        ],
        "additionalProperties": false,
        "properties": {
          "outcomes": {
            "type": "array",
            "items": {
              "$ref": "#/components/schemas/AppendOutcome"
            }
          }
        }
      },
      "Head": {
        "type": "object",
        "required": [
          "position",
          "hash",
          "recordedAt"
        ],
        "additionalProperties": false,
        "properties": {
          "position": {
            "type": "integer",
            "minimum": 0
          },
          "hash": {
            "type": "string",
            "pattern": "^[0-9a-f]{64}$"
          },
          "recordedAt": {
            "type": [
              "string",
              "null"
            ]
          }
        }
      },
      "Metrics": {
        "type": "object",
        "required": [
          "contacts"
        ],
        "description": "Counts of contacts, rates (null when the denominator is zero) and timings in seconds (interchange.md §3). Messaging channels carry sent/delivered/read/responded and timeTo*; telephone carries dialed/connected/success/abandoned.",
        "properties": {
          "contacts": {
            "type": "integer",
            "minimum": 0
          },
          "states": {
            "type": "object",
            "additionalProperties": {
              "type": "integer",
              "minimum": 0
            }
          },
          "reached": {
            "type": "integer"
          },
          "failed": {
            "type": "integer"
          },
          "excluded": {
            "type": "integer"
          },
          "invalid": {
            "type": "integer"
          },
          "sent": {
            "type": "integer"
          },
          "delivered": {
            "type": "integer"
          },
          "read": {
            "type": "integer"
          },
          "responded": {
            "type": "integer"
          },
          "dialed": {
            "type": "integer"
          },
          "connected": {
            "type": "integer"
          },
          "success": {
            "type": "integer"
          },
          "abandoned": {
            "type": "integer"
          },
          "deliveryRate": {
            "type": [
              "number",
              "null"
            ]
          },
          "readRate": {
            "type": [
              "number",
              "null"
            ]
          },
          "responseRate": {
            "type": [
              "number",
              "null"
            ]
          },
          "contactRate": {
            "type": [
              "number",
              "null"
            ]
          },
          "successRate": {
            "type": [
              "number",
              "null"
            ]
          },
          "abandonRate": {
            "type": [
              "number",
              "null"
            ]
          },
          "attempts": {
            "type": "integer"
          },
          "retries": {
            "type": "integer"
          },
          "failures": {
            "type": "object",
            "additionalProperties": {
              "type": "integer",
              "minimum": 0
            }
          },
          "errorCodes": {
            "type": "object",
            "additionalProperties": {
              "type": "integer",
              "minimum": 0
            }
          },
          "timeToDeliver": {
            "type": "object",
            "required": [
              "count"
            ],
            "properties": {
              "count": {
                "type": "integer",
                "minimum": 0
              },
              "p50": {
                "type": [
                  "number",
                  "null"
                ]
              },
              "p95": {
                "type": [
                  "number",
                  "null"
                ]
              },
              "max": {
                "type": [
                  "number",
                  "null"
                ]
              }
            }
          },
          "timeToRead": {
            "type": "object",
            "required": [
              "count"
            ],
            "properties": {
              "count": {
                "type": "integer",
                "minimum": 0
              },
              "p50": {
                "type": [
                  "number",
                  "null"
                ]
              },
              "p95": {
                "type": [
                  "number",
                  "null"
                ]
              },
              "max": {
                "type": [
                  "number",
                  "null"
                ]
              }
            }
          }
        }
      },
      "MetricsByChannel": {
        "type": "object",
        "required": [
          "whatsapp",
          "sms",
          "telephone"
        ],
        "properties": {
          "whatsapp": {
            "$ref": "#/components/schemas/Metrics"
          },
          "sms": {
            "$ref": "#/components/schemas/Metrics"
          },
          "telephone": {
            "$ref": "#/components/schemas/Metrics"
          }
        }
      },
      "Campaign": {
        "type": "object",
        "required": [
          "campaign",
          "channel",
          "name",
          "status",
          "endedBy",
          "paused",
          "createdAt",
          "startedAt",
          "endedAt",
          "metrics",
          "position",
          "projectionVersion"
        ],
        "properties": {
          "campaign": {
            "type": "string"
          },
          "channel": {
            "type": "string",
            "enum": [
              "whatsapp",
              "sms",
              "telephone"
            ]
          },
          "name": {
            "type": [
              "string",
              "null"
            ]
          },
          "status": {
            "type": "string"
          },
          "endedBy": {
            "type": [
              "string",
              "null"
            ]
          },
          "paused": {
            "type": "boolean"
          },
          "createdAt": {
            "type": [
              "string",
              "null"
            ],
            "description": "RFC 3339 date-time as given in the event, or null"
          },
          "startedAt": {
            "type": [
              "string",
              "null"
            ],
            "description": "RFC 3339 date-time as given in the event, or null"
          },
          "endedAt": {
            "type": [
              "string",
              "null"
            ],
            "description": "RFC 3339 date-time as given in the event, or null"
          },
          "metrics": {
            "$ref": "#/components/schemas/Metrics"
          },
          "position": {
            "type": "integer",
            "minimum": 0
          },
          "projectionVersion": {
            "type": "integer",
            "minimum": 1
          }
        }
      },
      "Contact": {
        "type": "object",
        "required": [
          "campaign",
          "contact",
          "state",
          "class",
          "attempt",
          "code",
          "reason",
          "providerRef",
          "address",
          "addedAt",
          "updatedAt",
          "reports",
          "position"
        ],
        "properties": {
          "campaign": {
            "type": "string"
          },
          "contact": {
            "type": "string"
          },
          "state": {
            "type": "string"
          },
          "class": {
            "type": "string"
          },
          "attempt": {
            "type": "integer",
            "minimum": 0
          },
          "code": {
            "type": [
              "string",
              "null"
            ]
          },
          "reason": {
            "type": [
              "string",
              "null"
            ]
          },
          "providerRef": {
            "type": [
              "string",
              "null"
            ]
          },
          "address": {
            "type": [
              "string",
              "null"
            ]
          },
          "addedAt": {
            "type": [
              "string",
              "null"
            ],
            "description": "RFC 3339 date-time as given in the event, or null"
          },
          "updatedAt": {
            "type": [
              "string",
              "null"
            ],
            "description": "RFC 3339 date-time as given in the event, or null"
          },
          "reports": {
            "type": "integer",
            "minimum": 0
          },
          "position": {
            "type": "integer",
            "minimum": 0
          },
          "forgotten": {
            "type": "boolean",
            "description": "present (true) only when the contact's address was erased (ledger forget)"
          }
        }
      },
      "HistoryEntry": {
        "allOf": [
          {
            "type": "object",
            "required": [
              "type",
              "campaign",
              "at",
              "id",
              "position",
              "stateBefore",
              "stateAfter",
              "effect"
            ],
            "properties": {
              "type": {
                "type": "string",
                "enum": [
                  "campaign.created",
                  "campaign.started",
                  "campaign.paused",
                  "campaign.resumed",
                  "campaign.finished",
                  "campaign.canceled",
                  "contact.added",
                  "contact.removed",
                  "contact.status",
                  "contact.forgotten"
                ]
              },
              "position": {
                "type": [
                  "integer",
                  "null"
                ]
              },
              "stateBefore": {
                "type": [
                  "string",
                  "null"
                ]
              },
              "stateAfter": {
                "type": [
                  "string",
                  "null"
                ]
              },
              "effect": {
                "type": "string",
                "enum": [
                  "applied",
                  "no_change",
                  "duplicate",
                  "erased"
                ]
              },
              "marks": {
                "type": "array",
                "items": {
                  "type": "string",
                  "enum": [
                    "late",
                    "after_end",
                    "parked"
                  ]
                },
                "description": "`late`: its `at` is before that of a report appended earlier; `after_end`: after the campaign ended; `parked`: a provider callback that waited in the parked table (`meta.parkedAt`)"
              }
            }
          }
        ],
        "description": "An event of the timeline as exported, with its effect; a duplicate (re-delivery) has position null."
      },
      "Build": {
        "type": "object",
        "required": [
          "build",
          "projection",
          "state",
          "version",
          "rulesId",
          "checkpoint",
          "lag",
          "bytes",
          "eventsPerSecond",
          "createdAt",
          "fingerprint"
        ],
        "properties": {
          "build": {
            "type": "integer",
            "minimum": 1
          },
          "projection": {
            "type": "string"
          },
          "state": {
            "type": "string",
            "enum": [
              "building",
              "ready",
              "active",
              "stale"
            ]
          },
          "version": {
            "type": "integer"
          },
          "rulesId": {
            "type": "string"
          },
          "checkpoint": {
            "type": "integer",
            "minimum": 0
          },
          "lag": {
            "type": "integer",
            "minimum": 0
          },
          "bytes": {
            "type": "integer",
            "minimum": 0
          },
          "eventsPerSecond": {
            "type": "integer",
            "minimum": 0
          },
          "createdAt": {
            "type": "string"
          },
          "fingerprint": {
            "type": "string"
          }
        }
      },
      "Status": {
        "type": "object",
        "required": [
          "status"
        ],
        "properties": {
          "status": {
            "type": "string"
          }
        }
      },
      "ForgetRequest": {
        "type": "object",
        "required": [
          "reason"
        ],
        "additionalProperties": false,
        "description": "Either campaign and contact, or address (every contact whose address it is).",
        "properties": {
          "campaign": {
            "type": "string"
          },
          "contact": {
            "type": "string"
          },
          "address": {
            "type": "string"
          },
          "reason": {
            "type": "string",
            "minLength": 1
          },
          "actor": {
            "type": "string"
          }
        }
      },
      "ForgetResult": {
        "type": "object",
        "required": [
          "forgotten",
          "alreadyForgotten",
          "parkedCallbacksDropped",
          "stillInLog"
        ],
        "properties": {
          "forgotten": {
            "type": "array",
            "items": {
              "type": "object",
              "required": [
                "campaign",
                "contact",
                "position",
                "addedPosition"
              ],
              "properties": {
                "campaign": {
                  "type": "string"
                },
                "contact": {
                  "type": "string"
                },
                "position": {
                  "type": "integer",
                  "minimum": 1
                },
                "addedPosition": {
                  "type": "integer",
                  "minimum": 1
                }
              }
            }
          },
          "alreadyForgotten": {
            "type": "array",
            "items": {
              "type": "object",
              "required": [
                "campaign",
                "contact"
              ],
              "properties": {
                "campaign": {
                  "type": "string"
                },
                "contact": {
                  "type": "string"
                }
              }
            }
          },
          "parkedCallbacksDropped": {
            "type": "integer",
            "minimum": 0
          },
          "stillInLog": {
            "type": "array",
            "items": {
              "type": "integer",
              "minimum": 1
            },
            "description": "positions of events whose hash-chained fields hold the address (erasure cannot reach them)"
          }
        }
      },
      "RebuildStarted": {
        "type": "object",
        "required": [
          "status"
        ],
        "properties": {
          "status": {
            "type": "string",
            "enum": [
              "started"
            ]
          },
          "builds": {
            "type": "string"
          }
        }
      },
      "CallbackOutcome": {
        "oneOf": [
          {
            "$ref": "#/components/schemas/AppendOutcome"
          },
          {
            "type": "object",
            "required": [
              "outcome",
              "id",
              "reason"
            ],
            "additionalProperties": false,
            "properties": {
              "outcome": {
                "type": "string",
                "enum": [
                  "parked"
                ]
              },
              "id": {
                "type": "string",
                "description": "the event id the status will get"
              },
              "reason": {
                "type": "string",
                "description": "why it waits, in words"
              }
            }
          }
        ],
        "description": "What became of one status of the request: appended or a duplicate (a retried webhook) with the event's position, or parked with the reason."
      },
      "CallbackAnswer": {
        "type": "object",
        "required": [
          "outcomes"
        ],
        "additionalProperties": false,
        "properties": {
          "outcomes": {
            "type": "array",
            "items": {
              "$ref": "#/components/schemas/CallbackOutcome"
            },
            "description": "one per status of the request, in its order"
          }
        }
      },
      "ParkedCallback": {
        "type": "object",
        "required": [
          "id",
          "provider",
          "messageId",
          "campaign",
          "contact",
          "attempt",
          "status",
          "providerStatus",
          "code",
          "reason",
          "at",
          "receivedAt",
          "bodySha256",
          "problem",
          "parkedBecause"
        ],
        "additionalProperties": false,
        "properties": {
          "id": {
            "type": "string",
            "description": "the event id it will get"
          },
          "provider": {
            "type": "string",
            "enum": [
              "meta",
              "twilio",
              "infobip",
              "vonage"
            ]
          },
          "messageId": {
            "type": [
              "string",
              "null"
            ],
            "description": "the provider's message id (the event's providerRef)"
          },
          "campaign": {
            "type": [
              "string",
              "null"
            ],
            "description": "from its correlation data, when it had any"
          },
          "contact": {
            "type": [
              "string",
              "null"
            ],
            "description": "from its correlation data, when it had any"
          },
          "attempt": {
            "type": [
              "integer",
              "null"
            ],
            "minimum": 1
          },
          "status": {
            "type": [
              "string",
              "null"
            ],
            "description": "the ledger's status; null when the provider's cannot be mapped"
          },
          "providerStatus": {
            "type": "string",
            "description": "the provider's own status string"
          },
          "code": {
            "type": [
              "string",
              "null"
            ],
            "description": "the provider's error code"
          },
          "reason": {
            "type": [
              "string",
              "null"
            ],
            "description": "the provider's error text"
          },
          "at": {
            "type": "string",
            "description": "RFC 3339: the provider's time, else when it was received"
          },
          "receivedAt": {
            "type": "string",
            "format": "date-time"
          },
          "bodySha256": {
            "type": "string",
            "pattern": "^[0-9a-f]{64}$",
            "description": "SHA-256 of the raw request body"
          },
          "problem": {
            "type": [
              "string",
              "null"
            ],
            "description": "why it cannot be mapped (an unknown status, no message id)"
          },
          "parkedBecause": {
            "type": "string",
            "description": "why it waits"
          }
        }
      },
      "Dropped": {
        "type": "object",
        "required": [
          "dropped"
        ],
        "additionalProperties": false,
        "properties": {
          "dropped": {
            "type": "integer",
            "minimum": 0
          }
        }
      },
      "MetaWebhook": {
        "type": "object",
        "required": [
          "object",
          "entry"
        ],
        "description": "A WhatsApp Business Account webhook (Meta's `messages` field). Described loosely: the provider's payload is taken unchanged and fields not listed are ignored.",
        "properties": {
          "object": {
            "type": "string",
            "description": "`whatsapp_business_account`; any other object is answered 400"
          },
          "entry": {
            "type": "array",
            "items": {
              "type": "object",
              "properties": {
                "id": {
                  "type": "string"
                },
                "changes": {
                  "type": "array",
                  "items": {
                    "type": "object",
                    "properties": {
                      "field": {
                        "type": "string"
                      },
                      "value": {
                        "type": "object",
                        "properties": {
                          "statuses": {
                            "type": "array",
                            "items": {
                              "type": "object",
                              "properties": {
                                "id": {
                                  "type": "string",
                                  "description": "the message id (wamid…)"
                                },
                                "status": {
                                  "type": "string",
                                  "description": "sent, delivered, read, played, failed"
                                },
                                "timestamp": {
                                  "type": "string",
                                  "description": "Unix seconds"
                                },
                                "recipient_id": {
                                  "type": "string"
                                },
                                "biz_opaque_callback_data": {
                                  "type": "string",
                                  "description": "correlation data: CAMPAIGN/CONTACT/ATTEMPT, each part percent-encoded"
                                },
                                "errors": {
                                  "type": "array",
                                  "items": {
                                    "type": "object",
                                    "properties": {
                                      "code": {
                                        "type": [
                                          "integer",
                                          "string"
                                        ]
                                      },
                                      "title": {
                                        "type": "string"
                                      }
                                    }
                                  }
                                }
                              }
                            }
                          },
                          "messages": {
                            "type": "array",
                            "items": {
                              "type": "object",
                              "properties": {
                                "id": {
                                  "type": "string"
                                },
                                "timestamp": {
                                  "type": "string"
                                },
                                "context": {
                                  "type": "object",
                                  "properties": {
                                    "id": {
                                      "type": "string",
                                      "description": "the message answered"
                                    }
                                  }
                                }
                              }
                            }
                          }
                        }
                      }
                    }
                  }
                }
              }
            }
          }
        }
      },
      "TwilioStatusCallback": {
        "type": "object",
        "description": "Twilio's StatusCallback parameters (Messaging API). Described loosely: the provider's payload is taken unchanged and fields not listed are ignored.",
        "properties": {
          "MessageSid": {
            "type": "string"
          },
          "MessageStatus": {
            "type": "string",
            "description": "queued, accepted, scheduled, sending, sent, delivered, read, failed, undelivered"
          },
          "ErrorCode": {
            "type": "string"
          },
          "ChannelStatusMessage": {
            "type": "string"
          },
          "RawDlrDoneDate": {
            "type": "string",
            "description": "YYMMDDhhmm, UTC"
          },
          "AccountSid": {
            "type": "string"
          },
          "From": {
            "type": "string"
          },
          "To": {
            "type": "string"
          }
        },
        "additionalProperties": {
          "type": "string"
        }
      },
      "InfobipReport": {
        "type": "object",
        "required": [
          "results"
        ],
        "description": "Infobip delivery reports or seen reports. Described loosely: the provider's payload is taken unchanged and fields not listed are ignored.",
        "properties": {
          "results": {
            "type": "array",
            "items": {
              "type": "object",
              "properties": {
                "messageId": {
                  "type": "string"
                },
                "callbackData": {
                  "type": "string",
                  "description": "correlation data: CAMPAIGN/CONTACT/ATTEMPT, each part percent-encoded"
                },
                "status": {
                  "type": "object",
                  "properties": {
                    "groupName": {
                      "type": "string",
                      "description": "PENDING, DELIVERED, REJECTED, UNDELIVERABLE, EXPIRED"
                    },
                    "id": {
                      "type": "integer"
                    },
                    "name": {
                      "type": "string"
                    }
                  }
                },
                "error": {
                  "type": "object",
                  "properties": {
                    "id": {
                      "type": "integer"
                    },
                    "name": {
                      "type": "string"
                    }
                  }
                },
                "doneAt": {
                  "type": "string"
                },
                "seenAt": {
                  "type": "string",
                  "description": "a seen report (no status): read"
                }
              }
            }
          }
        }
      },
      "VonageStatus": {
        "type": "object",
        "description": "A Vonage Messages API message status. Described loosely: the provider's payload is taken unchanged and fields not listed are ignored.",
        "properties": {
          "message_uuid": {
            "type": "string"
          },
          "status": {
            "type": "string",
            "description": "submitted, delivered, read, rejected, undeliverable, failed"
          },
          "timestamp": {
            "type": "string",
            "description": "RFC 3339"
          },
          "client_ref": {
            "type": "string",
            "description": "correlation data: CAMPAIGN/CONTACT/ATTEMPT, each part percent-encoded"
          },
          "error": {
            "type": "object",
            "properties": {
              "title": {
                "type": "string",
                "description": "the error code"
              },
              "detail": {
                "type": "string"
              }
            }
          }
        }
      }
    },
    "responses": {
      "BadRequest": {
        "description": "Not JSON, or a bad query parameter (a time must be RFC 3339)",
        "content": {
          "application/json": {
            "schema": {
              "$ref": "#/components/schemas/Error"
            }
          }
        }
      },
      "Unauthorized": {
        "description": "No token, or an unknown one",
        "content": {
          "application/json": {
            "schema": {
              "$ref": "#/components/schemas/Error"
            }
          }
        }
      },
      "Forbidden": {
        "description": "The token lacks the scope",
        "content": {
          "application/json": {
            "schema": {
              "$ref": "#/components/schemas/Error"
            }
          }
        }
      },
      "NotFound": {
        "description": "No such campaign, contact or build",
        "content": {
          "application/json": {
            "schema": {
              "$ref": "#/components/schemas/Error"
            }
          }
        }
      },
      "Conflict": {
        "description": "An expectation failed, or an id was reused with different content",
        "content": {
          "application/json": {
            "schema": {
              "$ref": "#/components/schemas/Error"
            }
          }
        }
      },
      "TooLarge": {
        "description": "The body is over 32 MiB; nothing was appended",
        "content": {
          "application/json": {
            "schema": {
              "$ref": "#/components/schemas/Error"
            }
          }
        }
      },
      "InvalidEvent": {
        "description": "An event breaks a rule; `index` names it; nothing was appended",
        "content": {
          "application/json": {
            "schema": {
              "$ref": "#/components/schemas/Error"
            }
          }
        }
      },
      "Unavailable": {
        "description": "The store is full, busy or read-only; retry after Retry-After seconds",
        "content": {
          "application/json": {
            "schema": {
              "$ref": "#/components/schemas/Error"
            }
          }
        }
      },
      "CallbackAnswer": {
        "description": "Every status appended, a duplicate, or parked: on disk",
        "content": {
          "application/json": {
            "schema": {
              "$ref": "#/components/schemas/CallbackAnswer"
            }
          }
        }
      },
      "CallbackMalformed": {
        "description": "The body is not the provider's format at all; nothing was stored",
        "content": {
          "application/json": {
            "schema": {
              "$ref": "#/components/schemas/Error"
            }
          }
        }
      },
      "CallbackUnauthenticated": {
        "description": "The signature or token is missing or wrong; nothing was stored",
        "content": {
          "application/json": {
            "schema": {
              "$ref": "#/components/schemas/Error"
            }
          }
        }
      },
      "CallbackNotConfigured": {
        "description": "The --providers file has no section for this provider",
        "content": {
          "application/json": {
            "schema": {
              "$ref": "#/components/schemas/Error"
            }
          }
        }
      }
    },
    "securitySchemes": {
      "bearer": {
        "type": "http",
        "scheme": "bearer",
        "description": "A token of the --tokens file; not needed when serving loopback without --tokens"
      },
      "infobipBearer": {
        "type": "http",
        "scheme": "bearer",
        "description": "Infobip callbacks: `Authorization: Bearer TOKEN` with the token of the providers file (`infobip.token`)"
      },
      "infobipBasic": {
        "type": "http",
        "scheme": "basic",
        "description": "Infobip callbacks: basic auth whose password is `infobip.token` (any user name)"
      },
      "vonageJwt": {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": "Vonage callbacks: a HS256 JWT signed with `vonage.signatureSecret` whose `payload_hash` claim is the hex SHA-256 of the body"
      }
    },
    "parameters": {
      "asOf": {
        "description": "RFC 3339: answer from the events recorded at or before this time",
        "in": "query",
        "name": "asOf",
        "schema": {
          "format": "date-time",
          "type": "string"
        }
      },
      "occurredBefore": {
        "description": "RFC 3339: answer from the events whose `at` is before this time",
        "in": "query",
        "name": "occurredBefore",
        "schema": {
          "format": "date-time",
          "type": "string"
        }
      },
      "campaign": {
        "in": "path",
        "name": "campaign",
        "required": true,
        "schema": {
          "minLength": 1,
          "type": "string"
        }
      }
    }
  }
}
"""#
}
