export { TypedEmitter } from '../util/typed-emitter.ts'
