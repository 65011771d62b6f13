/** Path mapping on the Node server (the `multistore` CLI, as users run it) through aws-cli and boto3. */
import { runPathMappingClients } from "@multistore/testing";
import { cliGateway } from "./helpers/cli-gateway.js";

runPathMappingClients("node server (multistore CLI)", { ...cliGateway("path-mapping"), listsUploads: true });
