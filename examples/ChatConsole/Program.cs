// A console chatbot on a TextGen model through Microsoft.Extensions.AI's IChatClient: the same code works with any
// other IChatClient. Run: dotnet run --project examples/ChatConsole -- models/moby-dick.tgm
using Microsoft.Extensions.AI;
using TextGen;
using TextGen.Generation;
using TextGen.Persistence;

try
{
    var modelPath = args.Length > 0 ? args[0] : ModelDirectory.Newest("models");
    using IChatClient client = new TextGenChatClient(TextGenerator.Load(modelPath), Path.GetFileNameWithoutExtension(modelPath));
    var options = new ChatOptions { Temperature = 0.7f, MaxOutputTokens = 200 };
    var history = new List<ChatMessage>();
    Console.WriteLine($"Chatting with {modelPath}. An empty line quits.");
    while (true)
    {
        Console.Write("you> ");
        var line = Console.ReadLine();
        if (string.IsNullOrWhiteSpace(line))
        {
            return 0;
        }
        history.Add(new ChatMessage(ChatRole.User, line));
        Console.Write("bot> ");
        var reply = "";
        await foreach (var update in client.GetStreamingResponseAsync(history, options))
        {
            Console.Write(update.Text);
            reply += update.Text;
        }
        Console.WriteLine();
        history.Add(new ChatMessage(ChatRole.Assistant, reply.Trim()));
    }
}
catch (TextGenException e)
{
    Console.Error.WriteLine($"chat: {e.Message}");
    return 1;
}
