import { LambdaClient, ListFunctionsCommand, InvokeCommand, GetFunctionCommand, CreateFunctionCommand } from "@aws-sdk/client-lambda";
import { readFileSync } from "fs";
const addr = readFileSync("/tmp/cap-js/addr", "utf8").trim();
const client = new LambdaClient({
  endpoint: `http://${addr}`, region: "us-east-1", maxAttempts: 1,
  credentials: { accessKeyId: "AKIAFLINTALICE000001", secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY" },
});
await client.send(new ListFunctionsCommand({ Marker: "a b/c+d~é", MaxItems: 3 }));
await client.send(new InvokeCommand({ FunctionName: "my-fn:$LATEST", Qualifier: "$LATEST", Payload: new TextEncoder().encode('{"name":  "Flint"}'), InvocationType: "RequestResponse", ClientContext: "eyJhIjoxfQ==" }));
await client.send(new GetFunctionCommand({ FunctionName: "arn:aws:lambda:us-east-1:000000000000:function:my-fn", Qualifier: "7" }));
console.log("done");
