/** A browser as a client of the Node server (the `multistore` CLI, as users run it), on a directory bucket. */
import { runBrowserSuite } from "@multistore/testing";
import { cliGateway } from "./helpers/cli-gateway.js";

runBrowserSuite("node server (multistore CLI)", cliGateway("browser"));
