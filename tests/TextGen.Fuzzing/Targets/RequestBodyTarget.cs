using System.Text;
using TextGen.Generation;
using TextGen.Modeling;
using TextGen.Server;
using TextGen.Tokenization;

namespace TextGen.Fuzzing;

/// <summary>
/// An HTTP request body as `textgen serve` reads it for /v1/completions and /v1/chat/completions, then the generation
/// it asks for (with a small model and limits), as the server runs it. Refusals are 4xx errors; a 5xx is a finding.
/// </summary>
internal sealed class RequestBodyTarget : FuzzTarget
{
    public override string Name => "request";

    public override string Description => "HTTP request bodies of both endpoints (JSON), then the generation they ask for";

    private static readonly ServerOptions Limits = new() { MaxTokens = 24, DefaultMaxTokens = 8, MaxChoices = 4 };

    private static readonly Lazy<TextGenerator> Generator = new(() =>
    {
        var tokenizer = CharTokenizer.Build("abcdefghijklmnopqrstuvwxyz .,!?\n");
        var file = SeedFiles.TextModel(tokenizer, CellType.Lstm, 1, 8, oneHot: false);
        return TextGenerator.Load(Scratch.Write("server.tgm", file));
    });

    public override bool Run(byte[] input)
    {
        var completion = Answer(input, body => CompletionRequest.ParseCompletion(body, Limits), request =>
        {
            var rows = request.Prompts.SelectMany(prompt => TextGenerator.Samples(prompt, request.Sampling, request.Choices)).ToArray();
            if (request.Stream) Generator.Value.Run(rows).Count();
            else Generator.Value.Complete(rows);
        });
        var chat = Answer(input, body => CompletionRequest.ParseChat(body, Limits), request =>
        {
            var client = new TextGenChatClient(Generator.Value, "fuzz");
            if (request.Stream) client.StreamChoicesAsync(request.Messages!, request.Sampling, request.Choices).ToBlockingEnumerable().Count();
            else client.CompleteChoicesAsync(request.Messages!, request.Sampling, request.Choices).GetAwaiter().GetResult();
        });
        return completion || chat;
    }

    private static bool Answer(byte[] input, Func<System.Text.Json.JsonElement, CompletionRequest> parse, Action<CompletionRequest> respond)
    {
        CompletionRequest request;
        try
        {
            request = CompletionRequest.ReadAsync(new MemoryStream(input), parse, CancellationToken.None).GetAwaiter().GetResult();
        }
        catch (RequestError e) when (e.Status is >= 400 and < 500)
        {
            return false;
        }
        respond(request);
        return true;
    }

    public override IEnumerable<(string, byte[])> Seeds()
    {
        string[] bodies =
        [
            """{"model":"m","prompt":"the cat","max_tokens":5,"temperature":0.7,"top_p":0.9,"stop":["\n","at"],"seed":3}""",
            """{"prompt":["a","b c"],"n":2,"stream":true,"stream_options":{"include_usage":true},"frequency_penalty":0.5}""",
            """{"messages":[{"role":"system","content":"be brief"},{"role":"user","content":"hello there"}],"max_tokens":6,"top_k":4}""",
            """{"messages":[{"role":"user","content":[{"type":"text","text":"hi"}]}],"stream":true,"n":3,"temperature":0}""",
        ];
        for (var i = 0; i < bodies.Length; i++) yield return ($"body-{i}", Encoding.UTF8.GetBytes(bodies[i]));
    }
}
