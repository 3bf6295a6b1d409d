declare module 'streamx' {
  export class Duplex {}
}
