global using System;
global using System.Threading;
global using System.Threading.Tasks;
