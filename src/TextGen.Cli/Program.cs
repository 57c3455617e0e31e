using TextGen.Cli;

CommandLineApp.CatchUnhandled(Console.Error);
return CommandLineApp.Run(args, Console.Out, Console.Error);
