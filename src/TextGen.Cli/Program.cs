using TextGen.Cli;

CommandLineApp.CatchUnhandled();
return CommandLineApp.Run(args, Console.Out, Console.Error);
