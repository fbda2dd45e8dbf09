global using System;
global using System.IO;
global using NUnit.Framework;
global using System.Linq;
