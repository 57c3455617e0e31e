using System.Globalization;
using TextGen.Generation;

namespace TextGen.Cli.Commands;

/// <summary>
/// textgenrnn's interactive mode: show the likeliest next tokens with their probabilities, and let the person pick one
/// by number (Enter takes the first), or type text to append, until they enter q or input ends.
/// </summary>
public static class InteractiveSampling
{
    private const int Choices = 8;

    public static void Run(TextGenerator generator, string prefix, TextReader input, TextWriter output)
    {
        var text = prefix;
        while (true)
        {
            output.WriteLine();
            output.WriteLine($"text: {text}");
            var choices = generator.NextTokens(text, Choices);
            for (var i = 0; i < choices.Count; i++)
            {
                output.WriteLine($"  {i + 1}. {Visible(choices[i].Text),-8} {choices[i].Probability,7:P1}");
            }
            output.Write("pick 1-8, type text, or q to quit: ");
            output.Flush();
            var line = input.ReadLine();
            if (line is null || line.Trim() == "q")
            {
                output.WriteLine();
                output.WriteLine(text);
                return;
            }
            if (line.Length == 0)
            {
                text += choices[0].Text;
            }
            else if (int.TryParse(line.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var pick) && pick >= 1 && pick <= choices.Count)
            {
                text += choices[pick - 1].Text;
            }
            else
            {
                text += line;
            }
        }
    }

    private static string Visible(string token) => token switch
    {
        "\n" => "\\n",
        " " => "' '",
        "\t" => "\\t",
        _ => token,
    };
}
