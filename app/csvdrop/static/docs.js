// Renders the OpenAPI document as a plain list of operations. Served by the
// app itself: no CDN, no inline script, within the page's CSP.
"use strict";

(function () {
  function element(tag, text, className) {
    const node = document.createElement(tag);
    if (text !== undefined) {
      node.textContent = text;
    }
    if (className) {
      node.className = className;
    }
    return node;
  }

  function schemaName(schema) {
    if (!schema) {
      return "";
    }
    if (schema.$ref) {
      return schema.$ref.split("/").pop();
    }
    return schema.type ? String(schema.type) : "";
  }

  function renderOperation(path, method, operation) {
    const section = element("section");
    section.appendChild(element("h2", method.toUpperCase() + " " + path));
    if (operation.summary) {
      section.appendChild(element("p", operation.summary));
    }
    const publicRoute = Array.isArray(operation.security) && operation.security.length === 0;
    section.appendChild(element("p", publicRoute ? "No token needed." : "Needs a token.", "muted"));

    const parameters = operation.parameters || [];
    if (parameters.length) {
      const list = element("ul");
      for (const parameter of parameters) {
        const text = parameter.name + " (" + parameter.in + ", " + schemaName(parameter.schema) + ")" +
          (parameter.description ? ": " + parameter.description : "");
        list.appendChild(element("li", text));
      }
      section.appendChild(element("h3", "Parameters"));
      section.appendChild(list);
    }
    if (operation.requestBody) {
      const list = element("ul");
      for (const [type, body] of Object.entries(operation.requestBody.content || {})) {
        list.appendChild(element("li", type + " " + schemaName(body.schema)));
      }
      section.appendChild(element("h3", "Request body"));
      section.appendChild(list);
    }
    const responses = element("ul");
    for (const [status, response] of Object.entries(operation.responses || {})) {
      const types = Object.entries(response.content || {})
        .map(([type, body]) => type + (schemaName(body.schema) ? " " + schemaName(body.schema) : ""))
        .join(", ");
      responses.appendChild(element("li", status + ": " + response.description + (types ? " (" + types + ")" : "")));
    }
    section.appendChild(element("h3", "Responses"));
    section.appendChild(responses);
    return section;
  }

  function renderSchemas(schemas) {
    const section = element("section");
    section.appendChild(element("h2", "Schemas"));
    for (const [name, schema] of Object.entries(schemas)) {
      section.appendChild(element("h3", name));
      const list = element("ul");
      for (const [field, spec] of Object.entries(schema.properties || {})) {
        const required = (schema.required || []).includes(field) ? ", required" : "";
        list.appendChild(element("li", field + " (" + schemaName(spec) + required + ")"));
      }
      section.appendChild(list);
    }
    return section;
  }

  document.addEventListener("DOMContentLoaded", async () => {
    const main = document.getElementById("docs");
    const response = await fetch("/api/openapi.json");
    const documentBody = await response.json();
    main.replaceChildren();
    main.appendChild(element("p", documentBody.info.description));
    for (const [path, operations] of Object.entries(documentBody.paths)) {
      for (const [method, operation] of Object.entries(operations)) {
        main.appendChild(renderOperation(path, method, operation));
      }
    }
    main.appendChild(renderSchemas((documentBody.components || {}).schemas || {}));
  });
})();
